/**
 * @module routes/keys
 * `/v1/admin/keys` (`keys:manage`): the secret is in the create response and nowhere else;
 * lists and reads show the hint only, never the hash. A key belongs to a tenant, a partner or
 * nobody (global), optionally to a user whose roles it takes unless it names its own, and its
 * scopes narrow those roles. Revocation and changes evict the key on every instance.
 */
import { Hono, type Context } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';
import { issueApiKey } from '../issue-api-key.js';
import type { ApiKeyRecord, Owner } from '../store/records.js';
import { tenantScope } from '../tenancy.js';
import { assertGrantable, canSeeOwner, resolveOwner, type AdminDeps } from './admin-deps.js';
import { iso, nameField, notFound, pageFrom, pageQuery, readBody, readQuery } from './http-helpers.js';

const listField = z.array(z.string().min(1)).max(64);
const createSchema = z.strictObject({
  name: nameField,
  tenant_id: z.string().min(1).optional(),
  partner_id: z.string().min(1).optional(),
  user_id: z.string().min(1).optional(),
  roles: listField.optional(),
  scopes: listField.default([]),
  expires_at: z.iso.datetime({ offset: true }).optional(),
  expires_in_seconds: z.number().int().positive().optional(),
});
const updateSchema = z.strictObject({
  name: nameField.optional(),
  roles: listField.min(1).optional(),
  scopes: listField.optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
const listQuery = pageQuery.extend({ tenant_id: z.string().min(1).optional(), user_id: z.string().min(1).optional() });

export function keyStatus(k: ApiKeyRecord, now = Date.now()): 'active' | 'revoked' | 'expired' {
  if (k.revokedAt !== null) return 'revoked';
  return k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';
}

export const keyJson = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  hint: k.hint,
  tenant_id: k.tenantId,
  partner_id: k.partnerId,
  user_id: k.userId,
  roles: k.roles,
  scopes: k.scopes,
  status: keyStatus(k),
  expires_at: iso(k.expiresAt),
  revoked_at: iso(k.revokedAt),
  created_at: iso(k.createdAt),
  last_used_at: iso(k.lastUsedAt),
});

function futureTime(field: string, value: string): number {
  const at = Date.parse(value);
  if (at <= Date.now()) throw new GatewayError('VALIDATION_ERROR', `Invalid request body: '${field}': must be in the future.`);
  return at;
}

export function keyRoutes(deps: AdminDeps): Hono {
  const app = new Hono();
  app.use('*', deps.auth.requirePermission('keys:manage'));

  const visible = async (c: Context, id: string) => {
    const key = await deps.keys.get(id);
    if (!key || !(await canSeeOwner(deps, deps.auth.caller(c), key))) throw notFound('API key', id);
    return key;
  };

  app.get('/', async (c) => {
    const query = readQuery(c, listQuery);
    const tenantId = query.tenant_id ? (await deps.tenants.find(query.tenant_id))?.id ?? query.tenant_id : undefined;
    const page = await deps.keys.list(tenantScope(deps.auth.caller(c)), pageFrom(query), { tenantId, userId: query.user_id });
    return c.json({ data: page.items.map(keyJson), next_cursor: page.nextCursor });
  });

  app.get('/:id', async (c) => c.json(keyJson(await visible(c, c.req.param('id')))));

  app.post('/', async (c) => {
    const body = await readBody(c, createSchema);
    const caller = deps.auth.caller(c);
    if (body.expires_at !== undefined && body.expires_in_seconds !== undefined) {
      throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'expires_in_seconds': give expires_at or expires_in_seconds, not both.");
    }
    let owner: Owner;
    let roles = body.roles ?? [];
    let userId: string | null = null;
    if (body.user_id !== undefined) {
      const user = await deps.users.get(body.user_id);
      if (!user || !(await canSeeOwner(deps, caller, user))) throw notFound('User', body.user_id);
      if (body.tenant_id !== undefined || body.partner_id !== undefined) {
        throw new GatewayError('VALIDATION_ERROR', `Invalid request body: '${body.tenant_id !== undefined ? 'tenant_id' : 'partner_id'}': a user's key belongs to the user's tenant or partner; leave it out.`);
      }
      owner = { tenantId: user.tenantId, partnerId: user.partnerId };
      userId = user.id;
      // The key acts with these roles, so granting it the user's roles must be within the caller's reach too.
      assertGrantable(deps, caller, roles.length > 0 ? roles : user.roles, body.scopes);
    } else {
      owner = await resolveOwner(deps, caller, body);
      roles = body.roles ?? ['member'];
      if (roles.length === 0) throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'roles': give at least one role, or a user_id whose roles the key takes.");
      assertGrantable(deps, caller, roles, body.scopes);
    }
    const expiresAt = body.expires_at !== undefined ? futureTime('expires_at', body.expires_at) : body.expires_in_seconds !== undefined ? Date.now() + body.expires_in_seconds * 1000 : null;
    const { key, secret } = await issueApiKey(deps.keys, { ...owner, userId, name: body.name, roles, scopes: body.scopes, expiresAt });
    await deps.invalidation.keyCreated();
    return c.json({ ...keyJson(key), key: secret }, 201);
  });

  app.patch('/:id', async (c) => {
    const body = await readBody(c, updateSchema);
    const caller = deps.auth.caller(c);
    const key = await visible(c, c.req.param('id'));
    assertGrantable(deps, caller, key.roles);
    assertGrantable(deps, caller, body.roles ?? [], body.scopes ?? []);
    const expiresAt = body.expires_at === undefined ? undefined : body.expires_at === null ? null : futureTime('expires_at', body.expires_at);
    await deps.keys.update(key.id, { name: body.name, roles: body.roles, scopes: body.scopes, expiresAt });
    await deps.invalidation.keyChanged(key.id);
    return c.json(keyJson((await deps.keys.get(key.id))!));
  });

  app.post('/:id/revoke', async (c) => {
    const key = await visible(c, c.req.param('id'));
    await deps.keys.revoke(key.id);
    await deps.invalidation.keyRevoked(key.id);
    return c.json(keyJson((await deps.keys.get(key.id))!));
  });

  app.delete('/:id', async (c) => {
    const key = await visible(c, c.req.param('id'));
    await deps.keys.delete(key.id);
    await deps.invalidation.keyChanged(key.id);
    return c.body(null, 204);
  });

  return app;
}
