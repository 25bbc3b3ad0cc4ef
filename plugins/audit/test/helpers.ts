/**
 * @module test/helpers
 * A test kernel with the real auth and audit modules, a known bootstrap admin key, two seeded
 * tenants, a log captured in memory, and a probe module with a mutating route of its own and
 * a stand-in for model traffic under /oai/v1 (to show it is not audited).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { defineModule } from '@scaigrid/kernel';
import authModule, { authServiceRef } from '@scaigrid/plugin-auth';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import { Hono } from 'hono';
import { pino } from 'pino';
import auditModule, { auditServiceRef } from '../src/index.js';

export const probeModule = defineModule({
  id: 'probe',
  version: '0.0.0',
  dependsOn: ['auth'],
  setup(ctx) {
    const auth = ctx.use(authServiceRef);
    ctx.routes.post('/echo', async (c) => c.json({ received: true }, 201));
    ctx.routes.delete('/things/:id', auth.requirePermission('models:use'), (c) => c.body(null, 204));
    ctx.routes.get('/things', (c) => c.json({ data: [] }));
    const oai = new Hono();
    oai.post('/chat/completions', auth.requirePermission('models:use'), (c) => c.json({ object: 'chat.completion' }));
    ctx.mount('/oai/v1', oai);
  },
});

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface AuditTestKernel extends TestKernel {
  adminKey: string;
  logLines: string[];
  call(method: string, path: string, options?: { as?: string; body?: Record<string, unknown> }): Promise<{ status: number; body: any }>;
  createKey(body: Record<string, unknown>, as?: string): Promise<{ id: string; key: string }>;
  /** Waits for the audit writer, then returns every row of the audit table. */
  rows(): Promise<Record<string, unknown>[]>;
}

export async function startAuditKernel(options: { audit?: Record<string, unknown> } = {}): Promise<AuditTestKernel> {
  const adminKey = `sgk_${randomBytes(32).toString('base64url')}`;
  const adminKeyEnv = `SG_TEST_ADMIN_${randomBytes(4).toString('hex').toUpperCase()}`;
  process.env[adminKeyEnv] = adminKey;
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const t = await startTestKernel({
    modules: [authModule, auditModule, probeModule],
    config: { auth: { bootstrap: { adminKeyEnv }, seed: { tenants: [{ slug: 'acme' }, { slug: 'other' }] } }, audit: options.audit ?? {} },
    log: pino({ level: 'trace' }, sink),
  });
  const call: AuditTestKernel['call'] = async (method, path, { as = adminKey, body } = {}) => {
    const res = await t.fetch(path, { method, headers: bearer(as), body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    ...t,
    adminKey,
    logLines,
    call,
    async createKey(body, as) {
      const res = await call('POST', '/v1/admin/keys', { as, body });
      if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, key: res.body.key };
    },
    async rows() {
      const ctx = t.context('audit');
      await ctx.use(auditServiceRef).flush();
      return ctx.db.selectFrom(ctx.table('events')).selectAll().orderBy('id').execute();
    },
    async stop() {
      delete process.env[adminKeyEnv];
      await t.stop();
    },
  };
}
