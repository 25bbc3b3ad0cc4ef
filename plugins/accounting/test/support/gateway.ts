/**
 * Boots the real request path with accounting — auth, routing, dispatch, dispatch-openai,
 * inference, accounting — against a fake OpenAI upstream on 127.0.0.1:0. Seeds tenants `acme`
 * and `globex`, and keys: two members of acme, one of globex, an acme tenant admin and a
 * global admin. The chat model costs 1 USD per million input tokens and 2 USD per million
 * output tokens (1_000_000 / 2_000_000 micro-units per million).
 */
import type { Module } from '@scaigrid/kernel';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule from '@scaigrid/plugin-dispatch';
import dispatchOpenAIModule from '@scaigrid/plugin-dispatch-openai';
import inferenceModule from '@scaigrid/plugin-inference';
import routingModule from '@scaigrid/plugin-routing';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import accountingModule from '../../src/index.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../../../../test/fakes/fake-openai.js';

export const KEYS = {
  member: 'sgk_accountingTestMemberKey000000000000000000',
  member2: 'sgk_accountingTestMember2Key00000000000000000',
  globex: 'sgk_accountingTestGlobexKey000000000000000000',
  tenantAdmin: 'sgk_accountingTestTenantAdminKey0000000000000',
  admin: 'sgk_accountingTestAdminKey0000000000000000000',
} as const;
process.env.ACCOUNTING_TEST_MEMBER_KEY = KEYS.member;
process.env.ACCOUNTING_TEST_MEMBER2_KEY = KEYS.member2;
process.env.ACCOUNTING_TEST_GLOBEX_KEY = KEYS.globex;
process.env.ACCOUNTING_TEST_TENANT_ADMIN_KEY = KEYS.tenantAdmin;
process.env.ACCOUNTING_TEST_ADMIN_KEY = KEYS.admin;

export const PRICES = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 2_000_000 };

export interface Gateway {
  t: TestKernel;
  upstream: FakeOpenAI;
  /** Key ids by name (from /v1/auth/me). */
  keyIds: Record<keyof typeof KEYS, string>;
  tenantIds: { acme: string; globex: string };
  stop(): Promise<void>;
}

export interface GatewayOptions {
  accounting?: Record<string, unknown>;
  upstream?: FakeOpenAIOptions;
  /** Leave accounting out (to show the gateway works without it). */
  withoutAccounting?: boolean;
  extraModules?: Module[];
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const upstream = await startFakeOpenAI(options.upstream);
  try {
    const t = await startTestKernel({
      modules: [authModule, routingModule, dispatchModule, dispatchOpenAIModule, inferenceModule, ...(options.withoutAccounting ? [] : [accountingModule]), ...(options.extraModules ?? [])],
      config: {
        auth: {
          bootstrap: { enabled: false },
          seed: {
            tenants: [{ slug: 'acme' }, { slug: 'globex' }],
            keys: [
              { name: 'member', tenant: 'acme', roles: ['member'], secretEnv: 'ACCOUNTING_TEST_MEMBER_KEY' },
              { name: 'member2', tenant: 'acme', roles: ['member'], secretEnv: 'ACCOUNTING_TEST_MEMBER2_KEY' },
              { name: 'globex', tenant: 'globex', roles: ['member'], secretEnv: 'ACCOUNTING_TEST_GLOBEX_KEY' },
              { name: 'tenant-admin', tenant: 'acme', roles: ['tenant-admin'], secretEnv: 'ACCOUNTING_TEST_TENANT_ADMIN_KEY' },
              { name: 'admin', roles: ['admin'], secretEnv: 'ACCOUNTING_TEST_ADMIN_KEY' },
            ],
          },
        },
        dispatch: { providers: [{ id: 'fake', kind: 'openai', baseUrl: upstream.url, timeoutMs: 10_000 }] },
        routing: {
          models: [
            { slug: 'chat-model', backends: [{ providerId: 'fake', upstreamModel: 'gpt-4o-mini', inputPricePerMillion: '1', outputPricePerMillion: '2', contextWindow: 1000 }] },
            {
              slug: 'two-backends',
              backends: [
                { providerId: 'fake', upstreamModel: 'cheap', priority: 0, inputPricePerMillion: '1', outputPricePerMillion: '1' },
                { providerId: 'fake', upstreamModel: 'dear', priority: 1, inputPricePerMillion: '5', outputPricePerMillion: '10' },
              ],
            },
            { slug: 'euro-model', currency: 'EUR', backends: [{ providerId: 'fake', upstreamModel: 'gpt-4o-mini', inputPricePerMillion: '1', outputPricePerMillion: '2' }] },
          ],
        },
        ...(options.withoutAccounting ? {} : { accounting: options.accounting ?? {} }),
      },
    });
    const keyIds = {} as Record<keyof typeof KEYS, string>;
    for (const [name, secret] of Object.entries(KEYS)) {
      const me = (await (await t.fetch('/v1/auth/me', { headers: auth(secret) })).json()) as { key_id: string };
      keyIds[name as keyof typeof KEYS] = me.key_id;
    }
    const tenants = (await (await t.fetch('/v1/admin/tenants', { headers: auth(KEYS.admin) })).json()) as { data: { id: string; slug: string }[] };
    const tenantIds = { acme: tenants.data.find((x) => x.slug === 'acme')!.id, globex: tenants.data.find((x) => x.slug === 'globex')!.id };
    return {
      t,
      upstream,
      keyIds,
      tenantIds,
      async stop() {
        await t.stop();
        await upstream.close();
      },
    };
  } catch (err) {
    await upstream.close();
    throw err;
  }
}

export function auth(secret: string = KEYS.member): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

export const admin = () => auth(KEYS.admin);

/** Creates a budget through the admin API and returns its JSON. */
export async function createBudget(t: TestKernel, body: Record<string, unknown>): Promise<{ id: string; amount_micros: number }> {
  const res = await t.fetch('/v1/admin/budgets', { method: 'POST', headers: admin(), body });
  if (res.status !== 201) throw new Error(`budget create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; amount_micros: number };
}

export interface BudgetStatus {
  budget_id: string;
  amount_micros: number;
  spent_micros: number;
  held_micros: number;
  remaining_micros: number;
}

export async function budgetStatus(t: TestKernel, id: string): Promise<BudgetStatus> {
  const res = await t.fetch(`/v1/admin/budgets/${id}/status`, { headers: admin() });
  if (res.status !== 200) throw new Error(`budget status failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as BudgetStatus;
}

/**
 * Flushes usage records to the database the way the worker does, and returns the rows stored.
 * First waits for the requests' settlements, which land in Redis after their answers.
 */
export async function flushUsage(t: TestKernel): Promise<Record<string, any>[]> {
  await t.settled();
  await t.runTask('accounting', 'usage-flush');
  const ctx = t.context('accounting');
  return ctx.db.selectFrom(ctx.table('usage')).selectAll().orderBy('created_at').execute();
}

/** Reads a whole SSE body into its `data:` payloads. */
export async function sseData(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'));
}

export function chatBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'chat-model', messages: [{ role: 'user', content: 'Say hello' }], ...overrides };
}
