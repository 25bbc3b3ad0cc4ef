/**
 * @module routes/http-helpers
 * What every admin route shares: the kernel's validated input (400 VALIDATION_ERROR naming
 * the field, before anything changes), cursor paging, and the 404 that hides whether an
 * invisible thing exists.
 */
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';
import type { Page } from '../store/store-base.js';

export { readBody, readQuery, validationError } from '@scaigrid/kernel';

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().min(1).max(64).optional(),
});

export function pageFrom(query: { limit: number; after?: string }): Page {
  return { limit: query.limit, after: query.after };
}

export const notFound = (kind: string, id: string) => new GatewayError('NOT_FOUND', `${kind} '${id}' not found.`);

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const slugField = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower-case letters, digits, _ or - (max 64 characters)');
export const nameField = z.string().trim().min(1).max(200);
