/**
 * @module auth-service
 * The auth plugin's service for other modules (`auth.service`): guards for routes and the
 * caller of a request.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { serviceRef } from '@scaigrid/kernel';
import type { Caller } from './caller.js';

export interface AuthService {
  /** Route guard: 401 UNAUTHENTICATED without a caller, 403 FORBIDDEN without every permission. */
  requirePermission(...permissions: string[]): MiddlewareHandler;
  /** The authenticated caller, or throws 401 UNAUTHENTICATED. */
  caller(c: Context): Caller;
}

export const authServiceRef = serviceRef<AuthService>('auth.service');
