/**
 * Lease credit: an instance admits requests from memory on money its lease set aside in Redis,
 * and a budget is still never over-booked — by one instance, by two at once, or after a lease
 * expires. Runs on the embedded store, and on real Redis when SCAIGRID_TEST_REDIS_URL is set
 * (the test gateway's stores).
 */
import type { Redis } from 'ioredis';
import { countScriptCalls } from '@scaigrid/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BudgetLedger, windowsAt, type BudgetWindow } from '../src/budget-ledger.js';
import type { LeaseOptions } from '../src/budget-lease.js';
import type { Budget } from '../src/budget-store.js';
import { admin, auth, budgetStatus, chatBody, createBudget, KEYS, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

let budgets = 0;
function budget(amountMicros: number): Budget {
  budgets++;
  const id = `lease-test-${process.pid}-${Date.now().toString(36)}-${budgets}`;
  return { id, scope: 'key', subjectId: id, period: 'total', amountMicros, currency: 'USD', tenantId: null, partnerId: null, createdAt: 0, updatedAt: 0 };
}

/** The module's Redis client with its script calls counted. */
const countingRedis = () => countScriptCalls(gw.t.context('accounting').redis);

let instances = 0;
function ledger(redis: Redis, options: Partial<LeaseOptions> = {}): BudgetLedger {
  instances++;
  return new BudgetLedger(redis, { id: `lease:test-${process.pid}-${instances}`, share: 16, requests: 16, ttlMs: 60_000, holdTtlMs: 10_000, ...options });
}

let requests = 0;
/** One request's life on `l`: admitted on credit or by a hold, then settled at `cost`. Undefined when refused. */
interface Admitted {
  id: string;
  leased: boolean;
  generation: number;
}
/** As the accounting hook admits: on credit, else after a top-up on its way (once), else with a hold. */
async function admit(l: BudgetLedger, windows: BudgetWindow[], worst: number): Promise<Admitted | undefined> {
  const id = `req-${process.pid}-${++requests}`;
  if (l.draw(windows, worst)) return { id, leased: true, generation: l.generation };
  const coming = l.topUpComing(windows, worst);
  if (coming) {
    await coming;
    const { generation } = l;
    if (l.draw(windows, worst)) return { id, leased: true, generation };
  }
  const { generation } = l;
  const outcome = await l.reserve(id, windows, worst, Date.now(), 10_000);
  return outcome.ok ? { id, leased: false, generation } : undefined;
}
function settleRequest(l: BudgetLedger, windows: BudgetWindow[], request: Admitted, worst: number, cost: number): Promise<boolean> {
  return l.settle(request.id, windows, cost, '{}', Date.now(), 60_000, { drawnMicros: request.leased ? worst : 0, worstCaseMicros: worst, generation: request.generation, markedAt: Date.now() });
}
async function settle(l: BudgetLedger, windows: BudgetWindow[], request: Admitted, worst: number, cost: number): Promise<void> {
  const settled = await settleRequest(l, windows, request, worst, cost);
  expect(settled).toBe(true);
}
const state = async (l: BudgetLedger, windows: BudgetWindow[]) => (await l.status(windows, Date.now()))[0]!;

it('after a settle, requests the credit covers are admitted with no Redis call, and settling them moves their cost to spent', async () => {
  const { redis, scriptCalls } = countingRedis();
  const l = ledger(redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());

  const first = (await admit(l, windows, 1000))!;
  expect(first.leased).toBe(false);
  await settle(l, windows, first, 1000, 800);
  // Asked for 16 requests' worth (16,000); 1/16 of what is free (62,450) allows it.
  expect(await state(l, windows)).toMatchObject({ spentMicros: 800, heldMicros: 0, leasedMicros: 16_000 });

  const calls = scriptCalls();
  const onCredit = [];
  for (let i = 0; i < 16; i++) onCredit.push((await admit(l, windows, 1000))!);
  expect(onCredit.every((r) => r.leased)).toBe(true);
  expect(scriptCalls()).toBe(calls);
  // The 17th is not covered: it goes to Redis.
  expect(l.draw(windows, 1000)).toBe(false);

  for (const r of onCredit) await settle(l, windows, r, 1000, 800);
  const after = await state(l, windows);
  expect(after.spentMicros).toBe(800 * 17);
  expect(after.heldMicros).toBe(0);
  // Each settle took its request's 1,000 off the lease. The first asked for a top-up to 16
  // requests' worth plus one per request still running on credit (15): 31,000, all unused now.
  expect(after.leasedMicros).toBe(31_000);
});

it('a request the credit falls short for while a settle asks for a top-up waits for that answer and runs on its credit, with no hold', async () => {
  const { redis, scriptCalls } = countingRedis();
  const l = ledger(redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  // Nothing asked yet: nothing to wait for.
  expect(l.draw(windows, 1000)).toBe(false);
  expect(l.topUpComing(windows, 1000)).toBeUndefined();

  await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 800);
  const onCredit = Array.from({ length: 16 }, () => l.draw(windows, 1000));
  expect(onCredit.every(Boolean)).toBe(true);
  expect(l.topUpComing(windows, 1000)).toBeUndefined();

  // One of them settles and asks for a top-up; until its answer the credit is spent.
  const calls = scriptCalls();
  const settling = settleRequest(l, windows, { id: `req-${process.pid}-${++requests}`, leased: true, generation: l.generation }, 1000, 800);
  expect(l.draw(windows, 1000)).toBe(false);
  const coming = l.topUpComing(windows, 1000);
  expect(coming).toBeInstanceOf(Promise);
  const waiting = Promise.all(Array.from({ length: 8 }, () => admit(l, windows, 1000)));
  await coming;
  expect(await settling).toBe(true);
  const admitted = await waiting;
  // All 8 on the credit the answer brought: the settle was the only script.
  expect(admitted.every((r) => r?.leased)).toBe(true);
  expect(scriptCalls() - calls).toBe(1);
  expect(await state(l, windows)).toMatchObject({ heldMicros: 0 });
});

it('waits for a top-up once: when its answer brings too little, the request places a hold', async () => {
  const { redis, scriptCalls } = countingRedis();
  const l = ledger(redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 800);
  for (let i = 0; i < 16; i++) expect(l.draw(windows, 1000)).toBe(true);
  const calls = scriptCalls();
  const settling = settleRequest(l, windows, { id: `req-${process.pid}-${++requests}`, leased: true, generation: l.generation }, 1000, 800);
  // Worth more than any top-up asked for (17 requests of 1,000): credit cannot cover it, a hold does.
  const big = await admit(l, windows, 40_000);
  await settling;
  expect(big?.leased).toBe(false);
  // The settle, then the hold.
  expect(scriptCalls() - calls).toBe(2);
  expect(await state(l, windows)).toMatchObject({ heldMicros: 40_000 });
});

it('one instance spends its whole budget, to the last micro-unit: the slow path hands its credit back', async () => {
  const l = ledger(countingRedis().redis);
  const windows = windowsAt([budget(10_000)], Date.now());
  let admitted = 0;
  for (let i = 0; i < 15; i++) {
    const r = await admit(l, windows, 1000);
    if (!r) break;
    admitted++;
    await settle(l, windows, r, 1000, 1000);
  }
  expect(admitted).toBe(10);
  expect(await state(l, windows)).toMatchObject({ spentMicros: 10_000, heldMicros: 0 });
  expect(await admit(l, windows, 1)).toBeUndefined();
});

it('two instances under concurrent load never book more than the budget, and hand back what they did not use', async () => {
  const { redis } = countingRedis();
  const [a, b] = [ledger(redis), ledger(redis)];
  const windows = windowsAt([budget(100_000)], Date.now());
  // One request each first, so both start with credit: 1/16 of what is free each (~6 requests' worth).
  for (const l of [a, b]) await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 1000);
  const credit = (await state(a, windows)).leasedMicros;
  expect(credit).toBe(Math.floor(99_000 / 16) + Math.floor((98_000 - Math.floor(99_000 / 16)) / 16));
  let admitted = 2;
  let leased = 0;
  await Promise.all(
    Array.from({ length: 300 }, async (_, i) => {
      const l = i % 2 === 0 ? a : b;
      // Arrivals spread over ~60 ms, so settles (and their grants) interleave with admissions.
      if (i >= 64) await new Promise((r) => setTimeout(r, i / 5));
      const r = await admit(l, windows, 1000);
      if (!r) return;
      admitted++;
      if (r.leased) leased++;
      await new Promise((resolve) => setTimeout(resolve, 1 + (i % 7)));
      await settle(l, windows, r, 1000, 1000);
    }),
  );
  const s = await state(a, windows);
  expect(s.spentMicros).toBe(admitted * 1000);
  expect(s.spentMicros).toBeLessThanOrEqual(100_000);
  expect(s.heldMicros).toBe(0);
  // The first arrivals on each instance found that credit, and were admitted from memory.
  expect(leased).toBeGreaterThanOrEqual(Math.floor(credit / 1000) - 1);
  // What is not spent is the two instances' unused credit (at most 16 requests' worth each,
  // however many settles asked at once) and less than one request's worth of free budget.
  expect(s.leasedMicros).toBeLessThanOrEqual(2 * 16 * 1000);
  expect(100_000 - s.spentMicros - s.leasedMicros).toBeLessThan(1000);

  await a.returnIdle(0, Date.now());
  await b.returnIdle(0, Date.now());
  expect(await state(a, windows)).toMatchObject({ heldMicros: 0, leasedMicros: 0 });
  // Handed back, the rest can be spent.
  const rest = 100_000 - s.spentMicros;
  if (rest > 0) {
    const r = (await admit(a, windows, rest))!;
    expect(r).toBeDefined();
    await settle(a, windows, r, rest, rest);
  }
  expect((await state(a, windows)).spentMicros).toBe(100_000);
});

it('credit is drawn only while a hold TTL of its lease is left, and an expired lease frees the budget in Redis', async () => {
  const l = ledger(countingRedis().redis, { ttlMs: 400, holdTtlMs: 200 });
  const windows = windowsAt([budget(1_000_000)], Date.now());
  const first = (await admit(l, windows, 1000))!;
  await settle(l, windows, first, 1000, 1000);
  expect((await state(l, windows)).leasedMicros).toBe(16_000);
  expect(l.draw(windows, 1000)).toBe(true);
  await new Promise((r) => setTimeout(r, 250));
  // 150 ms of the lease left, less than a hold's 200: not drawn on.
  expect(l.draw(windows, 1000)).toBe(false);
  await new Promise((r) => setTimeout(r, 250));
  // Expired in Redis: released by the next script that looks (the drawn request's part too, as a hold's would be).
  expect(await state(l, windows)).toMatchObject({ leasedMicros: 0, heldMicros: 0, spentMicros: 1000 });
});

it('stops admitting on credit when a settle fails: Redis is away, and so would their usage be', async () => {
  const real = gw.t.context('accounting').redis;
  let failing = false;
  const redis = new Proxy(real, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'evalsha' || property === 'eval') {
        return (...args: unknown[]) => (failing ? Promise.reject(new Error('connection lost')) : (value as (...a: unknown[]) => unknown).apply(target, args));
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  const l = ledger(redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 1000);
  const running = (await admit(l, windows, 1000))!;
  expect(running.leased).toBe(true);
  expect(l.draw(windows, 1000)).toBe(true);
  failing = true;
  await expect(settleRequest(l, windows, running, 1000, 1000)).rejects.toThrow('connection lost');
  expect(l.draw(windows, 1000)).toBe(false);
});

it('when the budgets change, credit goes back, and a settle that was out meanwhile brings none to use', async () => {
  const l = ledger(countingRedis().redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 1000);
  const running = (await admit(l, windows, 1000))!;
  // Its settle goes out (asking for a top-up), then the budgets change before the answer.
  const settling = settleRequest(l, windows, running, 1000, 1000);
  await l.retire(Date.now());
  expect(await settling).toBe(true);
  // The top-up it was granted went straight back; nothing is leased, nothing drawn.
  await expect.poll(async () => (await state(l, windows)).leasedMicros).toBe(0);
  expect(l.draw(windows, 1)).toBe(false);
  // A request admitted before the change asks for nothing when it settles.
  const next = (await admit(l, windows, 1000))!;
  await settle(l, windows, { ...next, generation: next.generation - 1 }, 1000, 1000);
  expect(await state(l, windows)).toMatchObject({ spentMicros: 3000, heldMicros: 0, leasedMicros: 0 });
});

it('a request waiting for a top-up when the budgets change places a hold: credit granted under the old amounts is not drawn', async () => {
  const l = ledger(countingRedis().redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 1000);
  for (let i = 0; i < 16; i++) expect(l.draw(windows, 1000)).toBe(true);
  // A settle asks for a top-up; a request short of credit waits for it; the budgets change.
  const settling = settleRequest(l, windows, { id: `req-${process.pid}-${++requests}`, leased: true, generation: l.generation }, 1000, 1000);
  const waiting = admit(l, windows, 1000);
  await l.retire(Date.now());
  expect(await settling).toBe(true);
  const admitted = await waiting;
  expect(admitted?.leased).toBe(false);
  expect(await state(l, windows)).toMatchObject({ heldMicros: 1000 });
});

it('with share 0 there is no credit: every request holds in Redis, as without leases', async () => {
  const { redis, scriptCalls } = countingRedis();
  const l = ledger(redis, { share: 0 });
  const windows = windowsAt([budget(1_000_000)], Date.now());
  for (let i = 0; i < 3; i++) {
    const before = scriptCalls();
    const r = (await admit(l, windows, 1000))!;
    expect(r.leased).toBe(false);
    expect(scriptCalls()).toBe(before + 1);
    await settle(l, windows, r, 1000, 500);
  }
  expect(await state(l, windows)).toMatchObject({ spentMicros: 1500, heldMicros: 0, leasedMicros: 0 });
});

it('idle credit goes back to the budget, but not the part a running request drew', async () => {
  const l = ledger(countingRedis().redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  const first = (await admit(l, windows, 1000))!;
  await settle(l, windows, first, 1000, 1000);
  const running = (await admit(l, windows, 1000))!;
  expect(running.leased).toBe(true);
  await l.returnIdle(0, Date.now());
  expect((await state(l, windows)).leasedMicros).toBe(1000);
  expect(l.draw(windows, 1)).toBe(false);
  await settle(l, windows, running, 1000, 1000);
  // Its settle took the 1,000 off and asked for new credit.
  expect(await state(l, windows)).toMatchObject({ spentMicros: 2000, heldMicros: 0, leasedMicros: 16_000 });
});

it('through the gateway: requests run on credit with no hold, the budget shows what is leased, and a budget edit hands the credit back', async () => {
  const created = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member2, period: 'monthly', amount_micros: 50_000_000 });
  for (let i = 0; i < 3; i++) {
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 50 }) });
    expect(res.status).toBe(200);
  }
  const leasedNow = await budgetStatus(gw.t, created.id);
  expect(leasedNow.held_micros).toBe(0);
  expect(leasedNow.spent_micros).toBeGreaterThan(0);
  expect((leasedNow as unknown as { leased_micros: number }).leased_micros).toBeGreaterThan(0);
  // `remaining` leaves leases in: the credit is still this budget's to spend.
  expect(leasedNow.remaining_micros).toBe(50_000_000 - leasedNow.spent_micros);

  // A request admitted on credit places no hold: while this stream runs, held stays 0.
  gw.upstream.script({ text: 'one two three four five six', chunkDelayMs: 40 });
  const stream = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: auth(KEYS.member2), body: chatBody({ max_tokens: 50, stream: true }) });
  expect(stream.status).toBe(200);
  const reader = stream.body!.getReader();
  await reader.read();
  expect((await budgetStatus(gw.t, created.id)).held_micros).toBe(0);
  while (!(await reader.read()).done);

  const edit = await gw.t.fetch(`/v1/admin/budgets/${created.id}`, { method: 'PATCH', headers: admin(), body: JSON.stringify({ amount_micros: 40_000_000 }) });
  expect(edit.status).toBe(200);
  await expect.poll(async () => ((await budgetStatus(gw.t, created.id)) as unknown as { leased_micros: number }).leased_micros).toBe(0);
  const res = await gw.t.fetch(`/v1/admin/budgets/${created.id}`, { method: 'DELETE', headers: admin() });
  expect(res.status).toBe(204);
});

it("settles the requests that finish in one turn together: one script call on a real server, each request's cost and credit exact", async () => {
  const { redis, scriptCalls, scriptsAnswered } = countingRedis();
  const l = ledger(redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  await settle(l, windows, (await admit(l, windows, 1000))!, 1000, 1000);
  const running: Admitted[] = [];
  for (let i = 0; i < 8; i++) running.push((await admit(l, windows, 1000))!);
  expect(running.every((r) => r.leased)).toBe(true);
  await scriptsAnswered();
  const before = scriptCalls();
  // The first settle goes out at once; with its reply pending, the next seven wait for the turn's end.
  const settled = await Promise.all(running.map((r, i) => settleRequest(l, windows, r, 1000, 100 * (i + 1))));
  expect(settled).toEqual(Array(8).fill(true));
  // The embedded store has no connection to join calls on: there each settle is its own call.
  expect(scriptCalls() - before).toBe(process.env.SCAIGRID_TEST_REDIS_URL ? 2 : 8);
  // A repeat of one of them in a joined call changes nothing for it.
  expect(await Promise.all([settleRequest(l, windows, running[0]!, 1000, 100), settleRequest(l, windows, running[1]!, 1000, 200)])).toEqual([false, false]);
  const after = await state(l, windows);
  expect(after.spentMicros).toBe(1000 + (100 * (8 * 9)) / 2);
  expect(after.heldMicros).toBe(0);
  // The first settle asked for 16 + 7 running requests' worth (23,000) and took its 1,000 off
  // the lease; the joined seven took 7,000 off and asked for what the 23,000 did not cover.
  // Nothing runs on credit now, so the lease in Redis is this instance's whole credit.
  for (let i = 0; i < after.leasedMicros / 1000; i++) expect(l.draw(windows, 1000)).toBe(true);
  expect(l.draw(windows, 1000)).toBe(false);
});

it('a settle from before a budget edit does not join one from after it: credit is granted against the new amount', async () => {
  const { redis, scriptsAnswered } = countingRedis();
  const l = ledger(redis);
  const before = budget(1_000_000);
  const windowsBefore = windowsAt([before], Date.now());
  await settle(l, windowsBefore, (await admit(l, windowsBefore, 1000))!, 1000, 1000);
  const running = (await admit(l, windowsBefore, 1000))!;
  expect(running.leased).toBe(true);
  // The budget is lowered to 20,000: same id, so the same counters in Redis.
  await l.retire(Date.now());
  const windowsAfter = windowsAt([{ ...before, amountMicros: 20_000 }], Date.now());
  const next = (await admit(l, windowsAfter, 1000))!;
  expect(next.leased).toBe(false);
  await scriptsAnswered();
  // A script in flight, so that both settles wait for the same turn's end (on a real server).
  const busy = l.status(windowsAfter, Date.now());
  const settled = await Promise.all([settleRequest(l, windowsBefore, running, 1000, 1000), settleRequest(l, windowsAfter, next, 1000, 1000)]);
  await busy;
  expect(settled).toEqual([true, true]);
  const after = await state(l, windowsAfter);
  expect(after.spentMicros).toBe(3000);
  // A grant takes at most 1/16 of what the new amount leaves free: (20,000 − 3,000) / 16.
  expect(after.leasedMicros).toBeLessThanOrEqual(Math.floor(17_000 / 16));
});

it('a retry of a settle whose reply was lost, named by its first attempt, changes nothing, even a minute and a half later', async () => {
  const l = ledger(countingRedis().redis);
  const windows = windowsAt([budget(1_000_000)], Date.now());
  const request = (await admit(l, windows, 1000))!;
  const firstTry = Date.now();
  const lease = { drawnMicros: request.leased ? 1000 : 0, worstCaseMicros: 1000, generation: request.generation, markedAt: firstTry };
  expect(await l.settle(request.id, windows, 700, '{}', firstTry, 60_000, lease)).toBe(true);
  // The retry (its marker set chosen by `markedAt`, not by when it is sent) finds the marker.
  expect(await l.settle(request.id, windows, 700, '{}', firstTry + 90_000, 60_000, lease)).toBe(false);
  expect(await state(l, windows)).toMatchObject({ spentMicros: 700, heldMicros: 0 });
});
