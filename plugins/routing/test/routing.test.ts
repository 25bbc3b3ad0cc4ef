import { afterEach, describe, expect, it } from 'vitest';
import { isGatewayError } from '@scaigrid/kernel';
import routingModule, { routingServiceRef, type RoutingService } from '../src/index.js';
import { AS, startWithAuth, type AuthKernel } from '@scaigrid/plugin-auth/testing';
import { countQueries, countRows, sharedDatabase, waitFor } from './helpers.js';

const seedModels = [
  {
    slug: 'chat-priority',
    policy: 'priority',
    backends: [
      { providerId: 'p1', upstreamModel: 'third', priority: 2, weight: 9 },
      { providerId: 'p1', upstreamModel: 'second', priority: 1, weight: 1 },
      { providerId: 'p2', upstreamModel: 'first', priority: 1, weight: 5, inputPricePerMillion: '0.15', outputPricePerMillion: '0.6' },
    ],
  },
  {
    slug: 'chat-weighted',
    policy: 'weighted',
    backends: [
      { providerId: 'p1', upstreamModel: 'heavy', weight: 3, priority: 1 },
      { providerId: 'p2', upstreamModel: 'light', weight: 1, priority: 0 },
      { providerId: 'p2', upstreamModel: 'off', weight: 0, priority: 0 },
    ],
  },
  {
    slug: 'tenant-only',
    visibility: ['t1'],
    metadata: { persona: 'You are terse.' },
    backends: [{ providerId: 'p1', upstreamModel: 'secret' }],
  },
];

const ADMIN = AS.admin;
let kernels: AuthKernel[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const t of kernels.reverse()) await t.stop();
  kernels = [];
  for (const c of cleanups.splice(0)) await c();
});

async function start(options: { database?: string; models?: unknown[] } = {}) {
  const t = await startWithAuth({ modules: [routingModule], database: options.database, config: { routing: { models: options.models ?? seedModels } } });
  kernels.push(t);
  const ctx = t.context('routing');
  const ids = { t1: await t.tenantId('t1'), t2: await t.tenantId('t2') };
  /** A caller of a seeded tenant (by slug), or of a tenant id that does not exist. */
  const tenant = (slug?: string) => ({ kind: 'api_key' as const, tenantId: slug ? (ids[slug as 't1'] ?? slug) : undefined, roles: [], permissions: new Set(['models:use']) });
  return { t, ctx, tenant, ids, routing: ctx.use(routingServiceRef) as RoutingService };
}

function catchError(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('routing resolve', () => {
  it('orders a priority model by priority, then weight, with exact prices', async () => {
    const { routing, tenant } = await start();
    const route = routing.resolve('chat-priority', tenant('t9'));
    expect(route.policy).toBe('priority');
    expect(route.currency).toBe('USD');
    expect(route.backends.map((b) => b.upstreamModel)).toEqual(['first', 'second', 'third']);
    expect(route.backends[0]).toMatchObject({ providerId: 'p2', inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000, inputPricePerMillion: 0.15 });
  });

  it('picks a weighted model by weight first, then the rest by weight', async () => {
    const { routing } = await start();
    const counts: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const order = routing.resolve('chat-weighted', undefined).backends.map((b) => b.upstreamModel);
      counts[order[0]] = (counts[order[0]] ?? 0) + 1;
      expect(order).toHaveLength(3);
      expect(order[2]).toBe('off');
    }
    expect(counts.off).toBeUndefined();
    // Math.random here (the seeded distribution is in candidate-order.test.ts): 3:1 within a loose band.
    expect(counts.heavy / 4000).toBeGreaterThan(0.69);
    expect(counts.heavy / 4000).toBeLessThan(0.81);
  });

  it('hides a model from other tenants: MODEL_NOT_FOUND naming the slug', async () => {
    const { routing, tenant } = await start();
    expect(routing.resolve('tenant-only', tenant('t1')).metadata).toEqual({ persona: 'You are terse.' });
    for (const caller of [tenant('t2'), tenant(undefined), undefined]) {
      const err = catchError(() => routing.resolve('tenant-only', caller));
      expect(isGatewayError(err) && err.code).toBe('MODEL_NOT_FOUND');
      expect(isGatewayError(err) && err.status).toBe(404);
      expect((err as Error).message).toContain("'tenant-only'");
    }
    const admin = { ...tenant(undefined), permissions: new Set(['admin:access']) };
    expect(routing.resolve('tenant-only', admin).slug).toBe('tenant-only');
    expect(routing.listModels(tenant('t2')).map((m) => m.slug).sort()).toEqual(['chat-priority', 'chat-weighted']);
    expect(routing.listModels(tenant('t1')).map((m) => m.slug).sort()).toEqual(['chat-priority', 'chat-weighted', 'tenant-only']);
    const unknown = catchError(() => routing.resolve('nope', admin));
    expect(isGatewayError(unknown) && unknown.code).toBe('MODEL_NOT_FOUND');
    expect((unknown as Error).message).toContain("'nope'");
  });

  it('resolves from memory: no database query', async () => {
    const { ctx, routing, tenant } = await start();
    expect(await countQueries(ctx, () => countRows(ctx, 'models'))).toBe(1);
    const queries = await countQueries(ctx, () => {
      for (let i = 0; i < 100; i++) {
        routing.resolve('chat-priority', tenant('t1'));
        routing.listModels(tenant('t1'));
      }
    });
    expect(queries).toBe(0);
  });
});

describe('routing cache invalidation', () => {
  it('an admin update is visible to resolve at once', async () => {
    const { t, routing } = await start();
    const before = await (await t.fetch('/v1/admin/models/chat-priority', { headers: ADMIN })).json();
    const second = before.backends.find((b: { upstreamModel: string }) => b.upstreamModel === 'second');
    const res = await t.fetch('/v1/admin/models/chat-priority', {
      method: 'PATCH',
      headers: ADMIN,
      body: { backends: [{ id: second.id, providerId: 'p1', upstreamModel: 'second', priority: 0 }, { providerId: 'p3', upstreamModel: 'new', priority: 5 }] },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.backends.find((b: { upstreamModel: string }) => b.upstreamModel === 'second').id).toBe(second.id);
    expect(routing.resolve('chat-priority', undefined).backends.map((b) => b.upstreamModel)).toEqual(['second', 'new']);
  });

  it('reloads when another instance broadcasts routing.changed', async () => {
    const { ctx, routing } = await start();
    // Another instance wrote directly and announced it.
    await ctx.db.updateTable(ctx.table('backends')).set({ priority: 0 }).where('upstream_model', '=', 'third').execute();
    await ctx.events.publish('routing.changed', { origin: 'another-instance', slug: 'chat-priority', action: 'updated' });
    await waitFor(() => routing.resolve('chat-priority', undefined).backends[0].upstreamModel === 'third');
  });
});

describe('routing seed', () => {
  it('is idempotent: a second start on the same database changes nothing', async () => {
    const shared = await sharedDatabase();
    cleanups.push(shared.cleanup);
    const first = await start({ database: shared.database });
    const snapshot = async () => ({
      models: await countRows(first.ctx, 'models'),
      backends: await countRows(first.ctx, 'backends'),
      rows: await first.ctx.db.selectFrom(first.ctx.table('models')).select(['id', 'slug', 'updated_at']).orderBy('slug').execute(),
      backendRows: await first.ctx.db.selectFrom(first.ctx.table('backends')).selectAll().orderBy('id').execute(),
    });
    const before = await snapshot();
    expect(before.models).toBe(3);
    expect(before.backends).toBe(7);
    await new Promise((r) => setTimeout(r, 5));
    await start({ database: shared.database });
    expect(await snapshot()).toEqual(before);

    // A changed seed updates in place: same ids, new price.
    const changed = structuredClone(seedModels);
    changed[2].backends[0] = { ...changed[2].backends[0], inputPricePerMillion: '1.25' } as never;
    const third = await start({ database: shared.database, models: changed });
    const after = await snapshot();
    expect(after.backends).toBe(7);
    expect(after.backendRows.map((r) => r.id)).toEqual(before.backendRows.map((r) => r.id));
    expect(third.routing.resolve('tenant-only', third.tenant('t1')).backends[0].inputMicrosPerMillion).toBe(1_250_000);
  });
});

describe('routing seed, concurrently', () => {
  it('two instances starting together on one database seed each model once', async () => {
    const shared = await sharedDatabase();
    cleanups.push(shared.cleanup);
    const [a, b] = await Promise.all([start({ database: shared.database }), start({ database: shared.database })]);
    expect(await countRows(a.ctx, 'models')).toBe(3);
    expect(await countRows(a.ctx, 'backends')).toBe(7);
    expect(b.routing.resolve('chat-priority', undefined).backends.map((x) => x.id)).toEqual(a.routing.resolve('chat-priority', undefined).backends.map((x) => x.id));
  });
});

describe('models admin API', () => {
  const valid = {
    slug: 'openai/gpt-x',
    policy: 'weighted',
    currency: 'EUR',
    metadata: { safetyPrefix: 'Be safe.' },
    backends: [{ providerId: 'p1', upstreamModel: 'gpt-x', inputPricePerMillion: '0.000150', outputPricePerMillion: 2.5, contextWindow: 128000 }],
  };

  it('creates, reads, updates and deletes a model', async () => {
    const { t, routing, tenant } = await start();
    const created = await t.fetch('/v1/admin/models', { method: 'POST', headers: ADMIN, body: valid });
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(body).toMatchObject({ slug: 'openai/gpt-x', kind: 'chat', policy: 'weighted', currency: 'EUR', visibility: [] });
    expect(body.backends[0]).toMatchObject({ inputPricePerMillion: '0.00015', outputPricePerMillion: '2.5', contextWindow: 128000, priority: 0, weight: 1 });
    expect(routing.resolve('openai/gpt-x', undefined).backends[0].inputMicrosPerMillion).toBe(150);

    expect((await t.fetch('/v1/admin/models', { method: 'POST', headers: ADMIN, body: valid })).status).toBe(409);
    const got = await (await t.fetch('/v1/admin/models/openai/gpt-x', { headers: ADMIN })).json();
    expect(got.id).toBe(body.id);
    const list = await (await t.fetch('/v1/admin/models', { headers: ADMIN })).json();
    expect(list.data.map((m: { slug: string }) => m.slug)).toContain('openai/gpt-x');

    const patched = await t.fetch('/v1/admin/models/openai/gpt-x', { method: 'PATCH', headers: ADMIN, body: { visibility: ['t2'] } });
    expect((await patched.json()).visibility).toEqual([await t.tenantId('t2')]);
    expect(isGatewayError(catchError(() => routing.resolve('openai/gpt-x', tenant('t1'))))).toBe(true);
    expect(routing.resolve('openai/gpt-x', tenant('t2')).slug).toBe('openai/gpt-x');

    expect((await t.fetch('/v1/admin/models/openai/gpt-x', { method: 'DELETE', headers: ADMIN })).status).toBe(204);
    expect((await t.fetch('/v1/admin/models/openai/gpt-x', { headers: ADMIN })).status).toBe(404);
    expect((catchError(() => routing.resolve('openai/gpt-x', tenant('t2'))) as { code: string }).code).toBe('MODEL_NOT_FOUND');
    expect((await t.fetch('/v1/admin/models/openai/gpt-x', { method: 'DELETE', headers: ADMIN })).status).toBe(404);
  });

  it('rejects bad input with 400 naming the field and changes nothing', async () => {
    const { t, ctx } = await start();
    const counts = async () => [await countRows(ctx, 'models'), await countRows(ctx, 'backends')];
    const before = await counts();
    const cases: [unknown, string][] = [
      [{ ...valid, backends: [] }, 'backends'],
      [{ ...valid, backends: [{ ...valid.backends[0], inputPricePerMillion: '0.0000001' }] }, 'backends.0.inputPricePerMillion'],
      [{ ...valid, backends: [{ ...valid.backends[0], weight: -1 }] }, 'backends.0.weight'],
      [{ ...valid, policy: 'random' }, 'policy'],
      [{ ...valid, slug: ' bad slug' }, 'slug'],
      [{ ...valid, currency: 'usd' }, 'currency'],
      [{ ...valid, colour: 'red' }, 'colour'],
      [{ ...valid, visibility: ['no-such-tenant'] }, 'visibility.0'],
    ];
    for (const [body, field] of cases) {
      const res = await t.fetch('/v1/admin/models', { method: 'POST', headers: ADMIN, body: body as Record<string, unknown> });
      expect(res.status).toBe(400);
      const error = (await res.json()).error;
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toContain(field);
    }
    const notJson = await t.fetch('/v1/admin/models', { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(400);
    const badPatch = await t.fetch('/v1/admin/models/chat-priority', { method: 'PATCH', headers: ADMIN, body: { backends: [{ id: 'NOT-OURS', providerId: 'p1', upstreamModel: 'x' }] } });
    expect(badPatch.status).toBe(400);
    expect((await badPatch.json()).error.message).toContain('backends.0.id');
    expect(await counts()).toEqual(before);
    expect(ctx.use(routingServiceRef).resolve('chat-priority', undefined).backends).toHaveLength(3);
  });

  it('guards: 401 without caller, 403 without permission; tenant admins read their models only', async () => {
    const { t } = await start();
    expect((await t.fetch('/v1/admin/models')).status).toBe(401);
    expect((await t.fetch('/v1/admin/models', { headers: AS.t1Member })).status).toBe(403);
    const tenantAdmin = AS.t2Admin;
    const list = await (await t.fetch('/v1/admin/models', { headers: tenantAdmin })).json();
    expect(list.data.map((m: { slug: string }) => m.slug).sort()).toEqual(['chat-priority', 'chat-weighted']);
    expect((await t.fetch('/v1/admin/models/tenant-only', { headers: tenantAdmin })).status).toBe(404);
    expect((await t.fetch('/v1/admin/models/tenant-only', { headers: AS.t1Admin })).status).toBe(200);
    expect((await t.fetch('/v1/admin/models', { method: 'POST', headers: tenantAdmin, body: valid })).status).toBe(403);
    expect((await t.fetch('/v1/admin/models/chat-priority', { method: 'DELETE', headers: tenantAdmin })).status).toBe(403);
  });
});
