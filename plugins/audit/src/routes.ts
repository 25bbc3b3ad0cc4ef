/**
 * @module routes
 * `GET /v1/admin/audit` (`audit:read`; `admin:access` implies it): audit rows newest first,
 * filtered and paged by ULID cursor. The tenancy wall applies as everywhere: `admin:access`
 * sees every row, a partner or tenant admin only the rows of tenants it may see, and a tenant
 * filter naming a tenant it cannot see is 404, as if the tenant did not exist.
 */
import { GatewayError, readQuery } from '@scaigrid/kernel';
import type { AuthService } from '@scaigrid/plugin-auth';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuditRecord } from './audit-record.js';
import type { AuditQuery, AuditStore } from './audit-store.js';

export const AUDIT_READ = 'audit:read';

/** An ISO 8601 date-time or epoch milliseconds, as epoch ms. */
const time = z.string().min(1).transform((value, ctx) => {
  const at = /^\d+$/.test(value) ? Number(value) : z.iso.datetime({ offset: true }).safeParse(value).success ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    ctx.addIssue({ code: 'custom', message: 'an ISO 8601 date-time with offset, or epoch milliseconds' });
    return z.NEVER;
  }
  return at;
});
const listQuery = z.strictObject({
  from: time.optional(),
  to: time.optional(),
  actor: z.string().min(1).max(200).optional(),
  tenant: z.string().min(1).max(64).optional(),
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']).optional(),
  path: z.string().regex(/^\//, 'a path prefix starting with /').max(500).optional(),
  status: z.string().regex(/^([1-5]\d\d|[1-5]xx)$/, 'a status code (404) or class (4xx)').optional(),
  cursor: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'the next_cursor of the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const auditJson = (r: AuditRecord) => ({
  id: r.id,
  time: new Date(r.at).toISOString(),
  actor: { kind: r.actorKind, id: r.actorId, key_id: r.keyId, user_id: r.userId },
  tenant_id: r.tenantId,
  partner_id: r.partnerId,
  method: r.method,
  path: r.path,
  status: r.status,
  request_id: r.requestId,
  summary: r.summary === null ? null : (JSON.parse(r.summary) as unknown),
});

export function auditRoutes(auth: AuthService, store: AuditStore): Hono {
  const app = new Hono();
  app.use('*', auth.requirePermission(AUDIT_READ));

  app.get('/', async (c) => {
    const q = readQuery(c, listQuery);
    const caller = auth.caller(c);
    const query: AuditQuery = { from: q.from, to: q.to, actor: q.actor, method: q.method, pathPrefix: q.path, cursor: q.cursor, limit: q.limit };
    if (q.status !== undefined) {
      if (q.status.endsWith('xx')) query.statusClass = Number(q.status[0]);
      else query.status = Number(q.status);
    }
    if (q.tenant !== undefined) query.tenantId = (await auth.visibleTenant(caller, q.tenant)).id;
    const visible = await auth.visibleTenantIds(caller);
    if (visible !== 'all') query.tenantIds = visible;
    if (query.from !== undefined && query.to !== undefined && query.from >= query.to) {
      throw new GatewayError('VALIDATION_ERROR', "Invalid query: 'to': must be after 'from'.");
    }
    const page = await store.query(query);
    return c.json({ data: page.items.map(auditJson), next_cursor: page.nextCursor });
  });

  return app;
}
