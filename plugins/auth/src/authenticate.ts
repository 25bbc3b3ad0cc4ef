/**
 * @module authenticate
 * The `authenticate` middleware: reads `Authorization: Bearer <token>` (or `x-api-key`, which
 * Anthropic clients send), recognises the credential by its shape (`sgk_` → API key, three
 * dot-separated base64url parts → JWT, anything else → service token) and sets `caller`.
 * No credential: no caller, and the route's guard decides. A bad credential: 401 with the
 * same message whatever was wrong, so a client learns nothing about which part failed.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { GatewayError, requestHeader, type ModuleContext } from '@scaigrid/kernel';
import type { ApiKeyAuthenticator } from './api-key-authenticator.js';
import { isApiKeyFormat } from './api-key-secret.js';
import type { Caller } from './caller.js';
import { looksLikeJwt, type JwtVerifier } from './jwt-verifier.js';
import type { ServiceTokens } from './service-tokens.js';

type Logger = ModuleContext['log'];

export interface AuthenticateOptions {
  keys: ApiKeyAuthenticator;
  jwt?: JwtVerifier;
  serviceTokens: ServiceTokens;
  log: Logger;
}

const UNAUTHENTICATED_MESSAGE = 'Invalid or expired credential.';
const KERNEL_PROBES = new Set(['/health', '/ready']);

export function unauthenticated(message = UNAUTHENTICATED_MESSAGE): GatewayError {
  return new GatewayError('UNAUTHENTICATED', message, { headers: { 'WWW-Authenticate': 'Bearer' } });
}

/** The presented token, '' for an empty one, undefined when none was sent. */
export function presentedToken(authorization: string | undefined, apiKeyHeader: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^Bearer(?:\s+(.*))?$/i.exec(authorization.trim());
    // Other schemes (Basic, ...) are not ours; a module that uses them reads the header itself.
    if (match) return (match[1] ?? '').trim();
  }
  return apiKeyHeader?.trim();
}

export function createAuthenticateMiddleware(options: AuthenticateOptions): MiddlewareHandler {
  const { keys, jwt, serviceTokens, log } = options;

  /** A caller, at once for a key in memory; a promise when a key must be read or a JWT verified. */
  const identify = (token: string): Caller | undefined | Promise<Caller | undefined> => {
    if (isApiKeyFormat(token)) return keys.authenticate(token);
    return identifyOther(token);
  };

  const identifyOther = async (token: string): Promise<Caller | undefined> => {
    if (looksLikeJwt(token)) {
      if (!jwt) return undefined;
      try {
        return await jwt.verify(token);
      } catch (err) {
        log.debug({ reason: (err as { code?: string }).code ?? (err as Error).message }, 'JWT rejected');
        return undefined;
      }
    }
    return serviceTokens.match(token);
  };

  const admit = (c: Context, next: Next, caller: Caller | undefined) => {
    if (!caller) throw unauthenticated();
    c.set('caller', caller);
    return next();
  };

  // Not async: a key found in memory passes on `next()`'s promise without one of its own.
  return (c, next) => {
    if (KERNEL_PROBES.has(c.req.path)) return next();
    const token = presentedToken(requestHeader(c, 'authorization'), requestHeader(c, 'x-api-key'));
    if (token === undefined) return next();
    const caller = token === '' ? undefined : identify(token);
    if (caller instanceof Promise) return caller.then((found) => admit(c, next, found));
    return admit(c, next, caller);
  };
}
