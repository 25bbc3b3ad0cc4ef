/**
 * Budgets on the real request path: refusals before any upstream call (402 native, 429
 * insufficient_quota on /oai/v1), exact settlement, worst-case holds across failover
 * candidates, currencies, and 200 concurrent streams against a budget that covers ~50.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, auth, budgetStatus, chatBody, createBudget, flushUsage, KEYS, sseData, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const chatRequests = () => gw.upstream.requests.filter((r) => r.path.startsWith('/v1/chat/completions'));

async function deleteBudget(id: string) {
  const res = await gw.t.fetch(`/v1/admin/budgets/${id}`, { method: 'DELETE', headers: admin() });
  expect(res.status).toBe(204);
}

describe('refusal before dispatch', () => {
  it('answers 429 insufficient_quota on /oai/v1 and 402 natively, and calls no upstream', async () => {
    const budget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member2, period: 'daily', amount_micros: 5 });
    const before = chatRequests().length;

    const oai = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 100 }) });
    expect(oai.status).toBe(429);
    const oaiBody = (await oai.json()) as { error: { type: string; code: string; message: string } };
    expect(oaiBody.error.code).toBe('insufficient_quota');
    expect(oaiBody.error.type).toBe('insufficient_quota');
    expect(oaiBody.error.message).toMatch(/daily key budget/);

    const stream = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 100, stream: true }) });
    expect(stream.status).toBe(429);
    expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');

    const native = await gw.t.fetch('/v1/inference/chat', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 100 }) });
    expect(native.status).toBe(402);
    expect(((await native.json()) as { error: { code: string } }).error.code).toBe('BUDGET_EXCEEDED');

    expect(chatRequests().length).toBe(before);
    const status = await budgetStatus(gw.t, budget.id);
    expect(status).toMatchObject({ spent_micros: 0, held_micros: 0, remaining_micros: 5 });
    // A refused request leaves no usage record.
    const rows = await flushUsage(gw.t);
    expect(rows.filter((r) => r.key_id === gw.keyIds.member2)).toHaveLength(0);
    await deleteBudget(budget.id);
  });

  it('holds the worst case at the most expensive failover candidate', async () => {
    // two-backends: cheap 1/1 USD per M, dear 5/10. max_tokens 100, prompt estimate ceil(9/3)+8 = 11 tokens.
    // Cheap worst case: 11 + 100 = 111 micros; dear: ceil((11*5 + 100*10)) = 1055 micros.
    const budget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member2, period: 'monthly', amount_micros: 1054 });
    const before = chatRequests().length;
    const refused = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ model: 'two-backends', max_tokens: 100 }) });
    expect(refused.status).toBe(429);
    expect(chatRequests().length).toBe(before);

    const raised = await gw.t.fetch(`/v1/admin/budgets/${budget.id}`, { method: 'PATCH', headers: admin(), body: { amount_micros: 1055 } });
    expect(raised.status).toBe(200);
    const served = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ model: 'two-backends', max_tokens: 100 }) });
    expect(served.status).toBe(200);
    const usage = ((await served.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
    // Served by the cheap backend: settled at its prices, hold released.
    const status = await budgetStatus(gw.t, budget.id);
    expect(status.held_micros).toBe(0);
    expect(status.spent_micros).toBe(usage.prompt_tokens * 1 + usage.completion_tokens * 1);
    await deleteBudget(budget.id);
  });

  it('applies key, user, tenant and partner budgets together: the tightest one refuses', async () => {
    const roomy = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.globex, period: 'total', amount: '1' });
    const tight = await createBudget(gw.t, { scope: 'tenant', subject_id: 'globex', period: 'monthly', amount_micros: 10 });
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.globex), body: chatBody({ max_tokens: 50 }) });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/monthly tenant budget/);
    // Nothing was held on the budget that could have covered it either: all or none.
    expect((await budgetStatus(gw.t, roomy.id)).held_micros).toBe(0);
    await deleteBudget(tight.id);
    await deleteBudget(roomy.id);
  });

  it('counts spend only against budgets in the model currency', async () => {
    const usd = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member2, period: 'daily', amount_micros: 1 });
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ model: 'euro-model', max_tokens: 20 }) });
    expect(res.status).toBe(200);
    expect((await budgetStatus(gw.t, usd.id)).spent_micros).toBe(0);
    await deleteBudget(usd.id);
  });
});

describe('settlement', () => {
  it('settles the provider-reported usage exactly and releases the rest of the hold', async () => {
    const budget = await createBudget(gw.t, { scope: 'user', subject_id: 'nobody', period: 'daily', amount: '1' });
    const keyBudget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member2, period: 'total', amount: '1.5' });
    gw.upstream.script({ text: 'Exactly priced.', usage: { prompt_tokens: 1234, completion_tokens: 567 } });
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 600 }) });
    expect(res.status).toBe(200);
    const status = await budgetStatus(gw.t, keyBudget.id);
    // 1234 × 1 USD/M + 567 × 2 USD/M = 1234 + 1134 micro-USD.
    expect(status).toMatchObject({ spent_micros: 2368, held_micros: 0, remaining_micros: 1_500_000 - 2368 });
    // A budget of another user is untouched.
    expect((await budgetStatus(gw.t, budget.id)).spent_micros).toBe(0);

    const rows = (await flushUsage(gw.t)).filter((r) => r.key_id === gw.keyIds.member2 && Number(r.tokens_in) === 1234);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'chat-model', status: 'ok', currency: 'USD', provider: 'fake' });
    expect(Number(rows[0]!.cost_micros)).toBe(2368);
    expect(Number(rows[0]!.tokens_out)).toBe(567);
    expect(Number(rows[0]!.estimated)).toBe(0);
    expect(rows[0]!.request_id).toBe(res.headers.get('x-request-id'));
    await deleteBudget(budget.id);
    await deleteBudget(keyBudget.id);
  });

  it('remembers a settled request for 15 minutes by default, not a day, as a member of the second\'s marker set', async () => {
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody() });
    expect(res.status).toBe(200);
    // The marker is written by the settlement, after the answer left.
    await gw.t.settled();
    const redis = gw.t.context('accounting').redis;
    const prefix = redis.options.keyPrefix ?? '';
    const sets = (await redis.keys(`${prefix}settled:*`)).map((key) => key.slice(prefix.length));
    expect(sets.length).toBeGreaterThan(0);
    // One key a second, not one a request: every name is a second's number.
    for (const set of sets) expect(set).toMatch(/^settled:\d+$/);
    const newest = sets.sort().at(-1)!;
    expect(await redis.type(newest)).toBe('set');
    expect(await redis.scard(newest)).toBeGreaterThan(0);
    // At least the TTL past the settle, at most a second more (the rest of the set's second).
    const ttlMs = await redis.pttl(newest);
    expect(ttlMs).toBeGreaterThan(800_000);
    expect(ttlMs).toBeLessThanOrEqual(901_000);
  });

  it('settles an upstream error with what was used and releases the hold', async () => {
    const budget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member2, period: 'total', amount: '1' });
    // chat-model has one backend: one attempt, one scripted failure.
    gw.upstream.script({ status: 500 });
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 10 }) });
    expect(res.status).toBeGreaterThanOrEqual(500);
    const status = await budgetStatus(gw.t, budget.id);
    expect(status).toMatchObject({ spent_micros: 0, held_micros: 0 });
    const rows = (await flushUsage(gw.t)).filter((r) => r.request_id === res.headers.get('x-request-id'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'error' });
    await deleteBudget(budget.id);
  });
});

describe('200 concurrent streams against a budget for about 50', () => {
  it('admits what the budget covers, refuses the rest before the upstream, and never overspends by more than one hold', async () => {
    // Each stream: prompt 10 tokens (fake's count), 10 completion tokens → 10×1 + 10×2 = 30 micro-USD.
    // Hold: prompt estimate 11 tokens + max_tokens 10 → 11 + 20 = 31 micro-USD.
    const COST = 30;
    const HOLD = 31;
    const BUDGET = 50 * COST;
    const text = 'one two three four five six seven eight';
    const budget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member, period: 'total', amount_micros: BUDGET });
    const before = chatRequests().length;
    const usageBefore = (await flushUsage(gw.t)).length;
    gw.upstream.script(...Array.from({ length: 200 }, () => ({ text, chunkDelayMs: 3 })));

    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await gw.t.fetch('/oai/v1/chat/completions', {
          method: 'POST',
          headers: { ...auth(KEYS.member), 'x-request-id': `conc-${i}` },
          body: chatBody({ stream: true, stream_options: { include_usage: true }, max_tokens: 10 }),
        });
        if (res.status === 200) return { status: 200, events: await sseData(res) };
        return { status: res.status, error: ((await res.json()) as { error: { code: string } }).error.code };
      }),
    );

    const admitted = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.filter((r) => r.status !== 429 || r.error !== 'insufficient_quota')).toEqual([]);
    expect(admitted.every((r) => r.events!.at(-1) === '[DONE]')).toBe(true);
    // Every admitted request reached the upstream; no refused one did.
    expect(chatRequests().length - before).toBe(admitted.length);
    // The budget covers 50 actual costs; holds are a little larger, so about 48 fit at once.
    expect(admitted.length).toBeGreaterThanOrEqual(Math.floor(BUDGET / HOLD) - 1);
    expect(admitted.length).toBeLessThanOrEqual(50);
    expect(refused.length).toBe(200 - admitted.length);

    const status = await budgetStatus(gw.t, budget.id);
    expect(status.held_micros).toBe(0);
    expect(status.spent_micros).toBe(admitted.length * COST);
    expect(status.spent_micros).toBeLessThanOrEqual(BUDGET + HOLD);

    const rows = (await flushUsage(gw.t)).slice(usageBefore).filter((r) => String(r.request_id).startsWith('conc-'));
    expect(rows).toHaveLength(admitted.length);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(admitted.length);
    expect(rows.every((r) => r.status === 'ok' && Number(r.cost_micros) === COST && Number(r.estimated) === 0)).toBe(true);
  }, 60_000);
});
