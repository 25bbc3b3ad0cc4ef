import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import routingModule, { providerDirectoryRef } from '@scaigrid/plugin-routing';
import { prepareTestStores } from '@scaigrid/testing';
import dispatchModule from '../src/index.js';
import { AS, startWithAuth, type AuthKernel } from '@scaigrid/plugin-auth/testing';
import { scriptedModule } from './scripted-dispatchers.js';

const SECRET = 'sk-provider-secret-never-shown-42';
process.env.SG_DISPATCH_PROVIDER_KEY = SECRET;

const seedProviders = [
  { id: 'p1', kind: 'fake-one', baseUrl: 'https://api.example.com/v1', apiKeyEnv: 'SG_DISPATCH_PROVIDER_KEY', options: { region: 'eu' }, timeoutMs: 5000 },
  { id: 'p2', kind: 'fake-two', apiKeyEnv: 'SG_DISPATCH_UNSET_KEY' },
];

let kernels: AuthKernel[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const t of kernels.reverse()) await t.stop();
  kernels = [];
  for (const c of cleanups.splice(0)) c();
});

async function start(options: { database?: string; providers?: unknown[]; routing?: boolean } = {}) {
  const t = await startWithAuth({
    modules: [dispatchModule, scriptedModule, ...(options.routing ? [routingModule] : [])],
    database: options.database,
    config: { dispatch: { providers: options.providers ?? seedProviders } },
  });
  kernels.push(t);
  return t;
}

async function call(t: AuthKernel, method: string, path: string, body?: unknown, headers: Record<string, string> = AS.admin) {
  const res = await t.fetch(path, { method, headers, body: body as Record<string, unknown> });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : null };
}

describe('providers admin API', () => {
  it('lists, reads, creates, updates and deletes providers, never showing a key', async () => {
    const t = await start();
    const list = await call(t, 'GET', '/v1/admin/providers');
    expect(list.status).toBe(200);
    expect(list.body.data.map((p: { id: string }) => p.id)).toEqual(['p1', 'p2']);
    expect(list.body.data[0]).toMatchObject({ kind: 'fake-one', apiKeyEnv: 'SG_DISPATCH_PROVIDER_KEY', hasApiKey: true, options: { region: 'eu' }, timeoutMs: 5000 });
    expect(list.body.data[1]).toMatchObject({ apiKeyEnv: 'SG_DISPATCH_UNSET_KEY', hasApiKey: false, timeoutMs: 120000, baseUrl: '' });

    const created = await call(t, 'POST', '/v1/admin/providers', { id: 'p3', kind: 'fake-two', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'SG_DISPATCH_PROVIDER_KEY' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'p3', hasApiKey: true });
    expect((await call(t, 'POST', '/v1/admin/providers', { id: 'p3', kind: 'fake-two' })).status).toBe(409);

    const patched = await call(t, 'PATCH', '/v1/admin/providers/p3', { timeoutMs: 999, apiKeyEnv: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ timeoutMs: 999, apiKeyEnv: null, hasApiKey: false, baseUrl: 'http://127.0.0.1:9/v1' });
    const got = await call(t, 'GET', '/v1/admin/providers/p1');
    for (const response of [list, created, patched, got]) expect(response.text).not.toContain(SECRET);

    expect((await call(t, 'DELETE', '/v1/admin/providers/p3')).status).toBe(204);
    expect((await call(t, 'GET', '/v1/admin/providers/p3')).status).toBe(404);
    expect((await call(t, 'DELETE', '/v1/admin/providers/p3')).status).toBe(404);
  });

  it('rejects an unknown kind naming the known kinds, and bad fields; nothing changes', async () => {
    const t = await start();
    const unknown = await call(t, 'POST', '/v1/admin/providers', { id: 'p9', kind: 'carrier-pigeon' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('VALIDATION_ERROR');
    expect(unknown.body.error.message).toContain("'carrier-pigeon'");
    expect(unknown.body.error.message).toContain('fake-one, fake-two');
    const cases: [unknown, string][] = [
      [{ id: 'Bad Id', kind: 'fake-one' }, 'id'],
      [{ id: 'p9', kind: 'fake-one', baseUrl: 'ftp://x' }, 'baseUrl'],
      [{ id: 'p9', kind: 'fake-one', apiKeyEnv: 'sk-live-oops' }, 'apiKeyEnv'],
      [{ id: 'p9', kind: 'fake-one', apiKey: 'sk-inline' }, 'apiKey'],
      [{ id: 'p9', kind: 'fake-one', timeoutMs: 1 }, 'timeoutMs'],
    ];
    for (const [body, field] of cases) {
      const res = await call(t, 'POST', '/v1/admin/providers', body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
    expect((await call(t, 'PATCH', '/v1/admin/providers/p1', { kind: 'nope' })).status).toBe(400);
    const list = await call(t, 'GET', '/v1/admin/providers');
    expect(list.body.data.map((p: { id: string; kind: string }) => `${p.id}:${p.kind}`)).toEqual(['p1:fake-one', 'p2:fake-two']);
  });

  it('needs admin:access', async () => {
    const t = await start();
    expect((await call(t, 'GET', '/v1/admin/providers', undefined, {})).status).toBe(401);
    expect((await call(t, 'GET', '/v1/admin/providers', undefined, AS.t1Admin)).status).toBe(403);
    expect((await call(t, 'POST', '/v1/admin/providers', { id: 'p9', kind: 'fake-one' }, AS.t1Admin)).status).toBe(403);
  });
});

describe('provider seed', () => {
  it('is idempotent across starts on the same database', async () => {
    let database: string | undefined;
    if (!process.env.SCAIGRID_TEST_DATABASE_URL) {
      const dir = mkdtempSync(join(tmpdir(), 'scaigrid-dispatch-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      database = `sqlite:${join(dir, 'test.db')}`;
    }
    const first = await start({ database });
    const ctx = first.context('dispatch');
    const rows = () => ctx.db.selectFrom(ctx.table('providers')).selectAll().orderBy('id').execute();
    const before = await rows();
    expect(before).toHaveLength(2);
    await start({ database: first.kernel.config.database });
    expect(await rows()).toEqual(before);
  });

  it('two instances starting together on one database both know every seeded provider at once', async () => {
    // One database for both: a temp SQLite file, or a fresh MariaDB database in the real-store run.
    let database: string;
    if (process.env.SCAIGRID_TEST_DATABASE_URL) {
      const stores = await prepareTestStores({ real: true });
      cleanups.push(() => void stores.cleanup());
      database = stores.database;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'scaigrid-dispatch-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      database = `sqlite:${join(dir, 'test.db')}`;
    }
    const [a, b] = await Promise.all([start({ database }), start({ database })]);
    // The instance that lost the race to insert must not wait for the other's change event.
    for (const t of [a, b]) expect([...t.context('dispatch').use(providerDirectoryRef).providerIds()].sort()).toEqual(['p1', 'p2']);
  });

  it('fails boot on an unknown kind, naming the field and the known kinds', async () => {
    await expect(start({ providers: [{ id: 'x', kind: 'nope' }] })).rejects.toThrow(/dispatch\.providers\.0\.kind.*'nope'.*fake-one, fake-two/);
  });
});

describe('routing with dispatch loaded', () => {
  it('rejects models naming an unknown provider', async () => {
    const t = await start({ routing: true });
    const res = await call(t, 'POST', '/v1/admin/models', { slug: 'm', backends: [{ providerId: 'ghost', upstreamModel: 'x' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("unknown provider 'ghost' (known: p1, p2)");
    expect((await call(t, 'POST', '/v1/admin/models', { slug: 'm', backends: [{ providerId: 'p1', upstreamModel: 'x' }] })).status).toBe(201);
  });
});
