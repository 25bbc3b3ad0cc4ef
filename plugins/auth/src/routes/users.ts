/**
 * @module routes/users
 * `/v1/admin/users` (`users:manage`): users of the tenants (and partner) the caller may see;
 * anything else is 404. Nobody assigns, or changes a user holding, roles beyond their own
 * permissions. Deleting a user deletes its keys, which stop working on every instance.
 */
import { Hono, type Context } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';
import { isUniqueViolation, type UserRecord } from '../store/records.js';
import { tenantScope } from '../tenancy.js';
import { assertGrantable, canSeeOwner, resolveOwner, type AdminDeps } from './admin-deps.js';
import { iso, nameField, notFound, pageFrom, pageQuery, readBody, readQuery } from './http-helpers.js';

const rolesField = z.array(z.string().min(1)).max(32);
const createSchema = z.strictObject({
  email: z.email().max(320),
  name: nameField.optional(),
  tenant_id: z.string().min(1).optional(),
  partner_id: z.string().min(1).optional(),
  roles: rolesField.default(['member']),
});
const updateSchema = z.strictObject({ email: z.email().max(320).optional(), name: nameField.nullable().optional(), roles: rolesField.optional() });
const listQuery = pageQuery.extend({ tenant_id: z.string().min(1).optional() });

export const userJson = (u: UserRecord) => ({
  id: u.id,
  tenant_id: u.tenantId,
  partner_id: u.partnerId,
  email: u.email,
  name: u.name,
  roles: u.roles,
  created_at: iso(u.createdAt),
  updated_at: iso(u.updatedAt),
});

const emailTaken = (email: string) => new GatewayError('CONFLICT', `A user with email '${email}' already exists there.`);

export function userRoutes(deps: AdminDeps): Hono {
  const app = new Hono();
  app.use('*', deps.auth.requirePermission('users:manage'));

  const visible = async (c: Context, id: string) => {
    const user = await deps.users.get(id);
    if (!user || !(await canSeeOwner(deps, deps.auth.caller(c), user))) throw notFound('User', id);
    return user;
  };

  app.get('/', async (c) => {
    const query = readQuery(c, listQuery);
    const tenantId = query.tenant_id ? (await deps.tenants.find(query.tenant_id))?.id ?? query.tenant_id : undefined;
    const page = await deps.users.list(tenantScope(deps.auth.caller(c)), pageFrom(query), { tenantId });
    return c.json({ data: page.items.map(userJson), next_cursor: page.nextCursor });
  });

  app.get('/:id', async (c) => c.json(userJson(await visible(c, c.req.param('id')))));

  app.post('/', async (c) => {
    const body = await readBody(c, createSchema);
    const caller = deps.auth.caller(c);
    const owner = await resolveOwner(deps, caller, body);
    assertGrantable(deps, caller, body.roles);
    if (await deps.users.findByEmail(owner.tenantId, body.email)) throw emailTaken(body.email);
    try {
      return c.json(userJson(await deps.users.create({ ...owner, email: body.email, name: body.name, roles: body.roles })), 201);
    } catch (err) {
      if (isUniqueViolation(err)) throw emailTaken(body.email);
      throw err;
    }
  });

  app.patch('/:id', async (c) => {
    const body = await readBody(c, updateSchema);
    const caller = deps.auth.caller(c);
    const user = await visible(c, c.req.param('id'));
    assertGrantable(deps, caller, user.roles);
    if (body.roles) assertGrantable(deps, caller, body.roles);
    try {
      await deps.users.update(user.id, body);
    } catch (err) {
      if (isUniqueViolation(err) && body.email) throw emailTaken(body.email);
      throw err;
    }
    if (body.roles) await deps.invalidation.principalChanged({ userId: user.id });
    return c.json(userJson((await deps.users.get(user.id))!));
  });

  app.delete('/:id', async (c) => {
    const user = await visible(c, c.req.param('id'));
    assertGrantable(deps, deps.auth.caller(c), user.roles);
    await deleteUser(deps, user);
    return c.body(null, 204);
  });

  return app;
}

async function deleteUser(deps: AdminDeps, user: UserRecord): Promise<void> {
  const keyIds = await deps.keys.idsOfUser(user.id);
  await deps.keys.deleteOfUser(user.id);
  await deps.users.delete(user.id);
  for (const keyId of keyIds) await deps.invalidation.keyChanged(keyId);
  await deps.invalidation.principalChanged({ userId: user.id });
}
