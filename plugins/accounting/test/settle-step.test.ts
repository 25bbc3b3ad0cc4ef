/**
 * The settle step (SETTLE_SCRIPT) against its contract, one case at a time: what it does to a
 * window's counter, its holds and this instance's lease, what it replies, and the expiry of the
 * window's keys. The script reads each window once and writes only what changed, so each path
 * through it is pinned here: credit drawn in part or whole or beyond what is left, an own hold,
 * a grant capped by the share, a repeat, several requests in one step. Runs on the embedded
 * store, and on real Redis when
 * SCAIGRID_TEST_REDIS_URL is set (the test gateway's stores).
 */
import type { Redis } from 'ioredis';
import { RedisScript } from '@scaigrid/kernel';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { counterTtlSeconds, periodWindow } from '../src/budget-period.js';
import { RESERVE_SCRIPT, SETTLE_SCRIPT } from '../src/ledger-scripts.js';
import { startGateway, type Gateway } from './support/gateway.js';

const SETTLE = new RedisScript(SETTLE_SCRIPT);
const RESERVE = new RedisScript(RESERVE_SCRIPT);
const LEASE = 'lease:settle-step';
const LIMIT = 1_000_000;
const SHARE = 4;
const MARKER_TTL_MS = 60_000;
/** The set the settled markers go in (the ledger keeps one a second). */
const MARKERS = `settle-step:markers:${process.pid}`;
const LEASE_TTL_MS = 30_000;

let gw: Gateway;
let redis: Redis;
beforeAll(async () => {
  gw = await startGateway();
  redis = gw.t.context('accounting').redis;
});
afterAll(async () => {
  await gw?.stop();
});

let windows = 0;
/** A fresh monthly window of its own (monthly, so its keys carry an expiry). */
function freshWindow() {
  const now = Date.now();
  const window = periodWindow('monthly', now);
  const base = `budget:{settle-step-${process.pid}-${++windows}:${window.id}}`;
  return { counter: base, expiries: `${base}:hold-expiry`, amounts: `${base}:hold-amount`, ttl: counterTtlSeconds(window, now) };
}
type Window = ReturnType<typeof freshWindow>;

let holds = 0;
interface SettleInput {
  cost: number;
  /** Taken off the lease: the request ran on credit. 0: it has a hold of its own. */
  drawn: number;
  holdId?: string;
}

/**
 * Runs the settle step for requests on one window, `ask` credit asked for all of them. Resolves
 * with the reply: per request 1 or 0 (settled before), then when any settled, credit granted
 * and the lease after.
 */
function settleAll(w: Window, requests: SettleInput[], ask: number, markers = MARKERS): Promise<unknown> {
  const now = Date.now();
  const ids = requests.map((r) => r.holdId ?? `hold-${process.pid}-${++holds}`);
  return SETTLE.run(
    redis,
    [`settle-step:pending:${process.pid}`, w.counter, w.expiries, w.amounts, ...ids.map(() => markers)],
    [
      String(now),
      String(now + MARKER_TTL_MS),
      LEASE,
      String(now + LEASE_TTL_MS),
      String(SHARE),
      '1',
      String(w.ttl),
      String(LIMIT),
      String(ask),
      ...requests.flatMap((r, i) => [ids[i]!, String(r.cost), String(r.drawn), JSON.stringify({ id: ids[i], cost: r.cost })]),
    ],
  );
}

/** One request: its reply as the step gives it for one ({1, granted, lease after} or {0}). */
function settle(w: Window, opts: SettleInput & { ask: number }): Promise<unknown> {
  return settleAll(w, [opts], opts.ask);
}

async function window(w: Window) {
  const counter = await redis.hgetall(w.counter);
  return {
    spent: Number(counter.spent ?? 0),
    held: Number(counter.held ?? 0),
    leased: Number(counter.leased ?? 0),
    amounts: await redis.hgetall(w.amounts),
    expiries: await redis.zrange(w.expiries, 0, -1),
  };
}

/** Each key's time to live in seconds: within a few seconds of the window's end plus a day. */
async function expectExpiring(w: Window, keys: ('counter' | 'expiries' | 'amounts')[]) {
  for (const key of keys) {
    const ttl = await redis.ttl(w[key]);
    expect(ttl, key).toBeGreaterThan(w.ttl - 5);
    expect(ttl, key).toBeLessThanOrEqual(w.ttl);
  }
}

it('a first settle on a fresh window adds the cost, grants credit capped by the share, and gives all three keys their expiry', async () => {
  const w = freshWindow();
  // Free is 1,000,000 - 400 = 999,600; a quarter of it covers the 10,000 asked.
  expect(await settle(w, { cost: 400, drawn: 0, ask: 10_000 })).toEqual([1, 10_000, 10_000]);
  expect(await window(w)).toEqual({ spent: 400, held: 0, leased: 10_000, amounts: { [LEASE]: '10000' }, expiries: [LEASE] });
  await expectExpiring(w, ['counter', 'expiries', 'amounts']);
  expect(await redis.zscore(w.expiries, LEASE)).not.toBeNull();
});

it('a grant is capped at 1/share of what is free', async () => {
  const w = freshWindow();
  // Free is 1,000,000 - 600,000 = 400,000: a quarter is 100,000 of the 500,000 asked.
  expect(await settle(w, { cost: 600_000, drawn: 0, ask: 500_000 })).toEqual([1, 100_000, 100_000]);
  // Now 300,000 is free beyond spent and leased: 75,000 more.
  expect(await settle(w, { cost: 0, drawn: 0, ask: 500_000 })).toEqual([1, 75_000, 175_000]);
  expect(await window(w)).toMatchObject({ spent: 600_000, leased: 175_000, amounts: { [LEASE]: '175000' } });
});

it('a request on the lease: its draw comes off the lease, its cost goes to spent, and the keys keep their expiry', async () => {
  const w = freshWindow();
  await settle(w, { cost: 0, drawn: 0, ask: 10_000 });
  expect(await settle(w, { cost: 700, drawn: 1000, ask: 0 })).toEqual([1, 0, 9000]);
  expect(await window(w)).toEqual({ spent: 700, held: 0, leased: 9000, amounts: { [LEASE]: '9000' }, expiries: [LEASE] });
  await expectExpiring(w, ['counter', 'expiries', 'amounts']);
});

it('the draw and a top-up in one step: the lease changes by their difference', async () => {
  const w = freshWindow();
  await settle(w, { cost: 0, drawn: 0, ask: 10_000 });
  expect(await settle(w, { cost: 1000, drawn: 3000, ask: 5000 })).toEqual([1, 5000, 12_000]);
  expect(await window(w)).toMatchObject({ spent: 1000, leased: 12_000, amounts: { [LEASE]: '12000' } });
});

it('a draw of the whole lease, or more than is left of it, removes the lease', async () => {
  const whole = freshWindow();
  await settle(whole, { cost: 0, drawn: 0, ask: 5000 });
  expect(await settle(whole, { cost: 5000, drawn: 5000, ask: 0 })).toEqual([1, 0, 0]);
  expect(await window(whole)).toEqual({ spent: 5000, held: 0, leased: 0, amounts: {}, expiries: [] });

  const beyond = freshWindow();
  await settle(beyond, { cost: 0, drawn: 0, ask: 2000 });
  // The lease holds 2,000 but the request drew 3,000 (part of the lease had expired, say).
  expect(await settle(beyond, { cost: 100, drawn: 3000, ask: 0 })).toEqual([1, 0, 0]);
  expect(await window(beyond)).toMatchObject({ spent: 100, leased: 0, amounts: {}, expiries: [] });

  // Credit asked again later creates the lease anew, with its keys' expiry.
  expect(await settle(beyond, { cost: 0, drawn: 0, ask: 1000 })).toEqual([1, 1000, 1000]);
  await expectExpiring(beyond, ['counter', 'expiries', 'amounts']);
});

it('a request with a hold of its own: the hold is released and the cost spent', async () => {
  const w = freshWindow();
  const holdId = `own-${process.pid}`;
  const now = Date.now();
  await RESERVE.run(redis, [w.counter, w.expiries, w.amounts], [String(now), String(now + 10_000), holdId, LEASE, String(LIMIT), '8000', String(w.ttl), '0']);
  expect(await window(w)).toMatchObject({ held: 8000, amounts: { [holdId]: '8000' }, expiries: [holdId] });
  expect(await settle(w, { cost: 2500, drawn: 0, ask: 0, holdId })).toEqual([1, 0, 0]);
  expect(await window(w)).toEqual({ spent: 2500, held: 0, leased: 0, amounts: {}, expiries: [] });
  await expectExpiring(w, ['counter']);
});

it('a repeated settle of one request changes nothing and replies 0', async () => {
  const w = freshWindow();
  await settle(w, { cost: 0, drawn: 0, ask: 10_000 });
  const holdId = `twice-${process.pid}`;
  expect(await settle(w, { cost: 300, drawn: 1000, ask: 0, holdId })).toEqual([1, 0, 9000]);
  const after = await window(w);
  expect(await settle(w, { cost: 300, drawn: 1000, ask: 0, holdId })).toEqual([0]);
  expect(await window(w)).toEqual(after);
});

it('an expired lease is released before the settle counts: a draw on it takes nothing more', async () => {
  const w = freshWindow();
  const now = Date.now();
  await settle(w, { cost: 0, drawn: 0, ask: 4000 });
  // The lease's expiry moved into the past: the instance went away.
  await redis.zadd(w.expiries, String(now - 1), LEASE);
  expect(await settle(w, { cost: 200, drawn: 1000, ask: 0 })).toEqual([1, 0, 0]);
  expect(await window(w)).toEqual({ spent: 200, held: 0, leased: 0, amounts: {}, expiries: [] });
});

it('several requests in one step: their costs summed into spent, their draws off the lease, their holds released, their records queued in order', async () => {
  const w = freshWindow();
  await settle(w, { cost: 0, drawn: 0, ask: 10_000 });
  const holdId = `own-many-${process.pid}`;
  const now = Date.now();
  await RESERVE.run(redis, [w.counter, w.expiries, w.amounts], [String(now), String(now + 10_000), holdId, LEASE, String(LIMIT), '3000', String(w.ttl), '0']);
  const pending = `settle-step:pending:${process.pid}`;
  await redis.del(pending);
  const reply = await settleAll(
    w,
    [
      { cost: 100, drawn: 1000, holdId: `many-a-${process.pid}` },
      { cost: 250, drawn: 0, holdId },
      { cost: 400, drawn: 2000, holdId: `many-b-${process.pid}` },
    ],
    5000,
  );
  // Lease 10,000 − 3,000 drawn + 5,000 asked (a quarter of what is free covers it).
  expect(reply).toEqual([1, 1, 1, 5000, 12_000]);
  expect(await window(w)).toEqual({ spent: 750, held: 0, leased: 12_000, amounts: { [LEASE]: '12000' }, expiries: [LEASE] });
  expect((await redis.lrange(pending, 0, -1)).map((r) => (JSON.parse(r) as { id: string }).id)).toEqual([`many-a-${process.pid}`, holdId, `many-b-${process.pid}`]);
  await redis.del(pending);
});

it('keeps each settled marker as a member of its set, the set living the marker TTL past the last settle that touched it', async () => {
  const w = freshWindow();
  const markers = `settle-step:markers-ttl:${process.pid}`;
  const id = `marked-${process.pid}`;
  await settleAll(w, [{ cost: 1, drawn: 0, holdId: id }], 0, markers);
  expect(await redis.type(markers)).toBe('set');
  expect(await redis.sismember(markers, id)).toBe(1);
  const first = await redis.pttl(markers);
  expect(first).toBeGreaterThan(MARKER_TTL_MS - 5_000);
  expect(first).toBeLessThanOrEqual(MARKER_TTL_MS);
  // Shortened (a set made long ago), a later settle gives it the whole TTL again; one already
  // long enough is left as it is.
  await redis.pexpire(markers, 1_000);
  await settleAll(w, [{ cost: 1, drawn: 0 }], 0, markers);
  expect(await redis.pttl(markers)).toBeGreaterThan(MARKER_TTL_MS - 5_000);
  expect(await redis.scard(markers)).toBe(2);
  await redis.del(markers);
});

it('in one step, a request settled before counts for nothing and the others settle; all settled before, the window is untouched', async () => {
  const w = freshWindow();
  await settle(w, { cost: 0, drawn: 0, ask: 10_000 });
  const again = `again-${process.pid}`;
  await settle(w, { cost: 100, drawn: 1000, ask: 0, holdId: again });
  expect(await settleAll(w, [{ cost: 100, drawn: 1000, holdId: again }, { cost: 50, drawn: 500 }], 0)).toEqual([0, 1, 0, 8500]);
  expect(await window(w)).toMatchObject({ spent: 150, leased: 8500 });
  const after = await window(w);
  expect(await settleAll(w, [{ cost: 100, drawn: 1000, holdId: again }], 5000)).toEqual([0]);
  expect(await window(w)).toEqual(after);
});

