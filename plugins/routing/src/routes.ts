/**
 * @module routes
 * The models admin API, mounted at `/v1/admin/models`. Reading needs `models:manage` (which
 * `admin:access` implies) and shows what the caller may see: an admin every model, a tenant
 * admin the public models and its tenant's. Writing needs `admin:access`. Slugs may contain
 * `/` (`openai/gpt-4o`), hence the `{.+}` parameter pattern.
 */
import { Hono } from 'hono';
import { GatewayError, parseInput, readJson } from '@scaigrid/kernel';
import type { AuthService } from '@scaigrid/plugin-auth';
import { ADMIN_PERMISSION, isVisibleTo, MANAGE_PERMISSION, type ModelCatalog } from './model-catalog.js';
import type { ModelAdmin } from './model-admin.js';
import { modelView } from './model-record.js';
import { modelInputSchema, modelPatchSchema } from './model-schema.js';

export interface ModelRoutesDeps {
  auth: AuthService;
  catalog: ModelCatalog;
  admin: ModelAdmin;
}

export function modelAdminRoutes({ auth, catalog, admin }: ModelRoutesDeps): Hono {
  const app = new Hono();
  const canRead = auth.requirePermission(MANAGE_PERMISSION);
  const canWrite = auth.requirePermission(ADMIN_PERMISSION);

  app.get('/', canRead, (c) => {
    const caller = auth.caller(c);
    return c.json({ data: catalog.all().filter((m) => isVisibleTo(m, caller)).map(modelView) });
  });

  app.get('/:slug{.+}', canRead, (c) => {
    const slug = c.req.param('slug');
    const model = catalog.get(slug);
    if (!model || !isVisibleTo(model, auth.caller(c))) throw new GatewayError('NOT_FOUND', `Model '${slug}' not found.`);
    return c.json(modelView(model));
  });

  app.post('/', canWrite, async (c) => {
    const input = parseInput(modelInputSchema, await readJson(c), 'model');
    return c.json(modelView(await admin.create(input)), 201);
  });

  app.patch('/:slug{.+}', canWrite, async (c) => {
    const patch = parseInput(modelPatchSchema, await readJson(c), 'model update');
    return c.json(modelView(await admin.update(c.req.param('slug'), patch)));
  });

  app.delete('/:slug{.+}', canWrite, async (c) => {
    await admin.delete(c.req.param('slug'));
    return c.body(null, 204);
  });

  return app;
}
