/**
 * The budgets admin API (CRUD, validation, tenancy wall, seeds, live status) and the usage API
 * (filters, grouping, what each caller may see, current spend per key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, auth, chatBody, flushUsage, KEYS, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({
    accounting: { budgets: [{ scope: 'tenant', subject: 'globex', period: 'monthly', amount: '25.5', currency: 'USD' }] },
  });
  // Traffic for the usage API: 2 requests by member, 1 by member2, 1 by globex, 1 on the EUR model.
  const send = (key: string, id: string, body = chatBody({ max_tokens: 20 })) =>
    gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: { ...auth(key), 'x-request-id': id }, body });
  for (const [key, id] of [[KEYS.member, 'u-m-1'], [KEYS.member, 'u-m-2'], [KEYS.member2, 'u-m2-1'], [KEYS.globex, 'u-g-1']] as const) expect((await send(key, id)).status).toBe(200);
  expect((await send(KEYS.member, 'u-m-eur', chatBody({ model: 'euro-model', max_tokens: 20 }))).status).toBe(200);
  await flushUsage(gw.t);
});
afterAll(async () => {
  await gw?.stop();
});

async function getJson(path: string, key: string) {
  const res = await gw.t.fetch(path, { headers: auth(key) });
  return { status: res.status, body: (await res.json()) as any };
}

describe('budgets admin API', () => {
  it('seeds budgets from config (tenant by slug, stored by id) and re-seeding changes nothing', async () => {
    const { body } = await getJson('/v1/admin/budgets', KEYS.admin);
    const seeded = body.data.filter((b: any) => b.scope === 'tenant' && b.subject_id === gw.tenantIds.globex);
    expect(seeded).toHaveLength(1);
    expect(seeded[0]).toMatchObject({ period: 'monthly', amount: '25.5', amount_micros: 25_500_000, currency: 'USD', tenant_id: gw.tenantIds.globex });
  });

  it('creates, reads, updates and deletes; conflicts on a duplicate; 404 afterwards', async () => {
    const created = await gw.t.fetch('/v1/admin/budgets', { method: 'POST', headers: admin(), body: { scope: 'key', subject_id: gw.keyIds.member, period: 'daily', amount: '0.75', tenant_id: 'acme' } });
    expect(created.status).toBe(201);
    const budget = (await created.json()) as any;
    expect(budget).toMatchObject({ scope: 'key', subject_id: gw.keyIds.member, amount_micros: 750_000, tenant_id: gw.tenantIds.acme, currency: 'USD' });

    const again = await gw.t.fetch('/v1/admin/budgets', { method: 'POST', headers: admin(), body: { scope: 'key', subject_id: gw.keyIds.member, period: 'daily', amount_micros: 1 } });
    expect(again.status).toBe(409);

    const patched = await gw.t.fetch(`/v1/admin/budgets/${budget.id}`, { method: 'PATCH', headers: admin(), body: { amount: '2' } });
    expect(((await patched.json()) as any).amount_micros).toBe(2_000_000);
    expect((await getJson(`/v1/admin/budgets/${budget.id}`, KEYS.admin)).body.amount).toBe('2');

    expect((await gw.t.fetch(`/v1/admin/budgets/${budget.id}`, { method: 'DELETE', headers: admin() })).status).toBe(204);
    expect((await getJson(`/v1/admin/budgets/${budget.id}`, KEYS.admin)).status).toBe(404);
  });

  it('rejects bad input with 400 naming the field, and stores nothing', async () => {
    const before = (await getJson('/v1/admin/budgets', KEYS.admin)).body.data.length;
    for (const [body, field] of [
      [{ scope: 'galaxy', subject_id: 'x', period: 'daily', amount: '1' }, 'scope'],
      [{ scope: 'key', subject_id: 'x', period: 'weekly', amount: '1' }, 'period'],
      [{ scope: 'key', subject_id: 'x', period: 'daily', amount: '1.1234567' }, 'amount'],
      [{ scope: 'key', subject_id: 'x', period: 'daily' }, 'amount'],
      [{ scope: 'key', subject_id: 'x', period: 'daily', amount: '1', colour: 'red' }, 'colour'],
      [{ scope: 'key', subject_id: 'x', period: 'daily', amount: '1', currency: 'usd' }, 'currency'],
    ] as const) {
      const res = await gw.t.fetch('/v1/admin/budgets', { method: 'POST', headers: admin(), body });
      expect(res.status).toBe(400);
      const error = ((await res.json()) as any).error;
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toContain(`'${field}'`);
    }
    expect((await getJson('/v1/admin/budgets', KEYS.admin)).body.data.length).toBe(before);
  });

  it('writes need admin:access; tenant admins read only their tenant', async () => {
    const res = await gw.t.fetch('/v1/admin/budgets', { method: 'POST', headers: auth(KEYS.tenantAdmin), body: { scope: 'tenant', subject_id: 'acme', period: 'daily', amount: '1' } });
    expect(res.status).toBe(403);
    expect((await getJson('/v1/admin/budgets', KEYS.member)).status).toBe(403);

    const acme = await gw.t.fetch('/v1/admin/budgets', { method: 'POST', headers: admin(), body: { scope: 'tenant', subject_id: 'acme', period: 'total', amount: '10' } });
    const acmeBudget = (await acme.json()) as any;
    const seen = (await getJson('/v1/admin/budgets', KEYS.tenantAdmin)).body.data.map((b: any) => b.id);
    expect(seen).toContain(acmeBudget.id);
    const globexBudget = (await getJson('/v1/admin/budgets', KEYS.admin)).body.data.find((b: any) => b.subject_id === gw.tenantIds.globex);
    expect(seen).not.toContain(globexBudget.id);
    // Behind the wall: 404, as if it did not exist.
    expect((await getJson(`/v1/admin/budgets/${globexBudget.id}`, KEYS.tenantAdmin)).status).toBe(404);
    expect((await getJson(`/v1/admin/budgets/${globexBudget.id}/status`, KEYS.tenantAdmin)).status).toBe(404);
    await gw.t.fetch(`/v1/admin/budgets/${acmeBudget.id}`, { method: 'DELETE', headers: admin() });
  });

  it('shows live spend, holds and remaining by subject', async () => {
    const created = await gw.t.fetch('/v1/admin/budgets', { method: 'POST', headers: admin(), body: { scope: 'key', subject_id: gw.keyIds.member2, period: 'monthly', amount: '1' } });
    const budget = (await created.json()) as any;
    gw.upstream.script({ text: 'Priced.', usage: { prompt_tokens: 100, completion_tokens: 50 } });
    expect((await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 60 }) })).status).toBe(200);
    const { body } = await getJson(`/v1/admin/budgets/status?key=${gw.keyIds.member2}`, KEYS.admin);
    expect(body.data).toHaveLength(1);
    const now = new Date();
    expect(body.data[0]).toMatchObject({
      budget_id: budget.id,
      spent_micros: 200,
      held_micros: 0,
      remaining_micros: 999_800,
      remaining: '0.9998',
      period_start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    });
    // The key itself reads the same through /v1/usage/current.
    const current = (await getJson('/v1/usage/current', KEYS.member2)).body;
    expect(current.key_id).toBe(gw.keyIds.member2);
    expect(current.data.map((s: any) => s.budget_id)).toEqual([budget.id]);
    expect(current.data[0].spent_micros).toBe(200);
    await gw.t.fetch(`/v1/admin/budgets/${budget.id}`, { method: 'DELETE', headers: admin() });
  });
});

describe('usage API', () => {
  const ids = (body: any) => body.data.map((r: any) => r.request_id).filter((id: string) => id.startsWith('u-')).sort();

  it('an admin sees every record, with filters by key, tenant, model and time', async () => {
    expect(ids((await getJson('/v1/usage', KEYS.admin)).body)).toEqual(['u-g-1', 'u-m-1', 'u-m-2', 'u-m-eur', 'u-m2-1']);
    expect(ids((await getJson(`/v1/usage?key=${gw.keyIds.member}`, KEYS.admin)).body)).toEqual(['u-m-1', 'u-m-2', 'u-m-eur']);
    expect(ids((await getJson('/v1/usage?tenant=globex', KEYS.admin)).body)).toEqual(['u-g-1']);
    expect(ids((await getJson('/v1/usage?model=euro-model', KEYS.admin)).body)).toEqual(['u-m-eur']);
    expect(ids((await getJson('/v1/usage?to=2000-01-01T00:00:00Z', KEYS.admin)).body)).toEqual([]);
    expect(ids((await getJson(`/v1/usage?from=${Date.now() - 3_600_000}`, KEYS.admin)).body)).toHaveLength(5);
    const record = (await getJson(`/v1/usage?key=${gw.keyIds.globex}`, KEYS.admin)).body.data[0];
    expect(record).toMatchObject({ request_id: 'u-g-1', model: 'chat-model', provider: 'fake', currency: 'USD', status: 'ok', estimated: false, tenant_id: gw.tenantIds.globex });
    expect(record.cost_micros).toBe(record.tokens_in * 1 + record.tokens_out * 2);
  });

  it('pages newest first with a cursor', async () => {
    const first = (await getJson(`/v1/usage?key=${gw.keyIds.member}&limit=2`, KEYS.admin)).body;
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = (await getJson(`/v1/usage?key=${gw.keyIds.member}&limit=2&after=${first.next_cursor}`, KEYS.admin)).body;
    expect(second.next_cursor).toBeNull();
    const all = [...first.data, ...second.data].map((r: any) => r.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter(Boolean).length).toBeGreaterThanOrEqual(3);
  });

  it('groups by model, key, tenant and day, per currency', async () => {
    const byModel = (await getJson(`/v1/usage?group_by=model&tenant=acme`, KEYS.admin)).body;
    const chat = byModel.data.find((g: any) => g.model === 'chat-model');
    const eur = byModel.data.find((g: any) => g.model === 'euro-model');
    expect(chat).toMatchObject({ currency: 'USD' });
    expect(chat.requests).toBeGreaterThanOrEqual(3);
    expect(eur).toMatchObject({ currency: 'EUR', requests: 1 });
    const byKey = (await getJson('/v1/usage?group_by=key&model=chat-model', KEYS.admin)).body.data;
    expect(byKey.find((g: any) => g.key === gw.keyIds.globex)).toMatchObject({ requests: 1 });
    const byDay = (await getJson('/v1/usage?group_by=day', KEYS.admin)).body.data;
    expect(byDay.map((g: any) => g.day)).toContain(new Date().toISOString().slice(0, 10));
    const total = (await getJson('/v1/usage', KEYS.admin)).body.data.filter((r: any) => r.currency === 'USD');
    const sum = byDay.filter((g: any) => g.currency === 'USD').reduce((s: number, g: any) => s + g.cost_micros, 0);
    expect(sum).toBe(total.reduce((s: number, r: any) => s + r.cost_micros, 0));
  });

  it('a member sees only its own key; a tenant admin its tenant; nobody sees behind the wall', async () => {
    expect(ids((await getJson('/v1/usage', KEYS.member)).body)).toEqual(['u-m-1', 'u-m-2', 'u-m-eur']);
    // Filters cannot widen the view.
    expect(ids((await getJson(`/v1/usage?key=${gw.keyIds.member2}`, KEYS.member)).body)).toEqual([]);
    expect(ids((await getJson('/v1/usage', KEYS.tenantAdmin)).body)).toEqual(['u-m-1', 'u-m-2', 'u-m-eur', 'u-m2-1']);
    expect((await getJson('/v1/usage?tenant=globex', KEYS.tenantAdmin)).status).toBe(404);
    expect(ids((await getJson('/v1/usage', KEYS.globex)).body)).toEqual(['u-g-1']);
    expect((await gw.t.fetch('/v1/usage')).status).toBe(401);
  });

  it('rejects bad query parameters with 400 naming them', async () => {
    for (const [query, field] of [['group_by=colour', 'group_by'], ['from=yesterday', 'from'], ['limit=0', 'limit'], ['after=%%%', 'after'], ['bogus=1', 'bogus']] as const) {
      const res = await gw.t.fetch(`/v1/usage?${query}`, { headers: admin() });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toContain(`'${field}'`);
    }
  });
});

it('the gateway serves without accounting loaded (it only registers hooks)', async () => {
  const bare = await startGateway({ withoutAccounting: true });
  try {
    const res = await bare.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member), body: chatBody({ stream: true }) });
    expect(res.status).toBe(200);
    expect((await res.text()).trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect((await bare.t.fetch('/v1/usage', { headers: auth(KEYS.admin) })).status).toBe(404);
  } finally {
    await bare.stop();
  }
});
