/**
 * Local grants: a request admitted in Redis may count extra units that its instance then
 * spends from memory, with no Redis command, without ever letting a limit be exceeded across
 * instances. Grants shrink to nothing near the limit, end with their window, are dropped when
 * the rules change, and are off with `share: 0`; token checks use a short-lived view instead.
 * Runs on the embedded store, and on real Redis when SCAIGRID_TEST_REDIS_URL is set (the test
 * kernel picks the store); two limiters on one store stand for two gateway instances.
 */
import type { Redis } from 'ioredis';
import pino from 'pino';
import { countScriptCalls } from '@scaigrid/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBus } from '@scaigrid/kernel';
import type { LimitCheck, LimitRule } from '../src/limit-rule.js';
import { RuleCache } from '../src/rule-cache.js';
import type { RuleStore } from '../src/rule-store.js';
import { VIEW_REFRESH_AHEAD_MS, VIEW_TRUST_MS } from '../src/local-grants.js';
import { SlidingWindowLimiter } from '../src/sliding-window-limiter.js';
import { bearer, limitCheck, PROBE_PATH, startLimitKernel, type LimitTestKernel } from './helpers.js';

let t: LimitTestKernel;
beforeAll(async () => {
  t = await startLimitKernel();
});
afterAll(async () => {
  await t?.stop();
});

/** The module's Redis client with its script calls counted. */
const countingRedis = () => countScriptCalls(t.context('ratelimit').redis);

/** What Redis has counted on a counter in its current window. */
async function counted(check: LimitCheck): Promise<number> {
  return Number((await t.context('ratelimit').redis.hget(check.counterKey, 'c')) ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until at least `marginMs` are left of the current `windowMs` window, so a test that
 * must stay in one window (where a counted unit weighs exactly one) does not straddle two.
 * Redis and the embedded store share this host's clock.
 */
async function awayFromWindowEnd(windowMs: number, marginMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await sleep(left + 20);
}

const request = (check: LimitCheck) => ({ check, cost: 1 });

it('counts a grant with the first request, then admits the next ones from memory', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
  const check = limitCheck('requests', 1600);
  await awayFromWindowEnd(60_000, 2_000);

  const first = await limiter.check([request(check)]);
  expect(first.allowed).toBe(true);
  // 1 for the request and min(max - 0, floor((1600 - 0 - 1) / 16) = 99) = 99 granted.
  expect(await counted(check)).toBe(100);
  expect(first.results[0]!.remaining).toBe(1599);

  const before = scriptCalls();
  for (let i = 1; i <= 99; i++) {
    const answered = limiter.check([request(check)]);
    // From memory the decision comes at once, not as a promise the request would wait on.
    expect(answered).not.toBeInstanceOf(Promise);
    const decision = await answered;
    expect(decision.allowed).toBe(true);
    expect(decision.results[0]!.remaining).toBe(1599 - i);
    expect(decision.results[0]!.retryMs).toBe(0);
  }
  // All from memory. When the grant fell under half of max (49 left, after the 50th), a top-up
  // was asked ahead for 100 - 49 = 51 more, counting only those: one script on the side, sent
  // after the turn of the admission that asked (so after its request went upstream), not in it.
  expect(scriptCalls() - before).toBe(0);
  await new Promise((r) => setImmediate(r));
  expect(scriptCalls() - before).toBe(1);
  // Nobody awaits the top-up, and on a real server scripts go on their own connection: the
  // read may overtake it.
  await expect.poll(() => counted(check)).toBe(100 + 51);

  // So the grant is not spent when the 101st comes: it too is admitted from memory.
  const next = await limiter.check([request(check)]);
  expect(next.allowed).toBe(true);
  expect(next.results[0]!.remaining).toBe(1600 - 101);
  expect(scriptCalls() - before).toBe(1);
  expect(await counted(check)).toBe(151);
});

it('asks ahead only far from the limit, and once at a time', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis);
  // Limit 900: the first grant is floor(899 / 16) = 56; what Redis has left then (843) would
  // give a top-up of 52, at least half of max: asked ahead once the grant falls under 50.
  const far = limitCheck('requests', 900);
  await awayFromWindowEnd(60_000, 3_000);
  await limiter.check([request(far)]);
  const before = scriptCalls();
  for (let i = 0; i < 56; i++) expect((await limiter.check([request(far)])).allowed).toBe(true);
  await new Promise((r) => setImmediate(r));
  expect(scriptCalls() - before).toBe(1);
  // Limit 700: first grant 43; what is left (656) gives top-ups of 41 at most, under half of
  // max: no asking ahead, the grant is spent and the next request goes to Redis.
  const near = limitCheck('requests', 700);
  await limiter.check([request(near)]);
  const from = scriptCalls();
  for (let i = 0; i < 43; i++) await limiter.check([request(near)]);
  expect(scriptCalls() - from).toBe(0);
  await limiter.check([request(near)]);
  expect(scriptCalls() - from).toBe(1);
});

describe('two instances on one store', () => {
  const LIMIT = 300;
  // Each grant is at most floor((LIMIT - 1) / 16) = 18 units; at most one per instance can be
  // unspent when the other is refused, so that is what a burst may leave unadmitted.
  const MOST_UNSPENT = 2 * Math.floor((LIMIT - 1) / 16);

  it('admits exactly the limit of alternating requests, and none on an instance after it first refuses', async () => {
    const a = new SlidingWindowLimiter(t.context('ratelimit').redis);
    const b = new SlidingWindowLimiter(t.context('ratelimit').redis);
    const check = limitCheck('requests', LIMIT);
    await awayFromWindowEnd(60_000, 3_000);

    const outcomes: { a: boolean[]; b: boolean[] } = { a: [], b: [] };
    for (let i = 0; i < 2 * LIMIT; i++) {
      const [name, limiter] = i % 2 === 0 ? (['a', a] as const) : (['b', b] as const);
      outcomes[name].push((await limiter.check([request(check)])).allowed);
    }
    const allowed = outcomes.a.filter(Boolean).length + outcomes.b.filter(Boolean).length;
    // Never more than the limit; and, one at a time, every granted unit is spent by the
    // instance holding it before it is refused (it only asks Redis once its grant is gone).
    expect(allowed).toBe(LIMIT);
    expect(await counted(check)).toBe(LIMIT);
    for (const list of [outcomes.a, outcomes.b]) {
      const firstRefusal = list.indexOf(false);
      expect(firstRefusal).toBeGreaterThan(0);
      expect(list.slice(firstRefusal).every((ok) => !ok)).toBe(true);
    }
  });

  it('never admits more than the limit in a concurrent burst, and every unit counted is admitted or held', async () => {
    const a = new SlidingWindowLimiter(t.context('ratelimit').redis);
    const b = new SlidingWindowLimiter(t.context('ratelimit').redis);
    const check = limitCheck('requests', LIMIT);
    await awayFromWindowEnd(60_000, 3_000);

    const burst = await Promise.all(Array.from({ length: 2 * LIMIT }, (_, i) => (i % 2 === 0 ? a : b).check([request(check)])));
    const allowed = burst.filter((d) => d.allowed).length;
    expect(allowed).toBeLessThanOrEqual(LIMIT);
    expect(allowed).toBeGreaterThanOrEqual(LIMIT - MOST_UNSPENT);
    expect(await counted(check)).toBeLessThanOrEqual(LIMIT);

    // Whatever a grant still holds is admitted afterwards from memory: the total is the limit.
    let more = 0;
    for (let i = 0; i < 2 * MOST_UNSPENT + 2; i++) if ((await (i % 2 === 0 ? a : b).check([request(check)])).allowed) more++;
    expect(allowed + more).toBe(LIMIT);
  });
});

describe('concurrent requests on one instance', () => {
  it('asks for one grant at a time per counter, so a burst does not hold max many times over', async () => {
    const { redis, scriptCalls } = countingRedis();
    const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
    const check = limitCheck('requests', 1600);
    await awayFromWindowEnd(60_000, 2_000);
    const burst = await Promise.all(Array.from({ length: 20 }, () => limiter.check([request(check)])));
    expect(burst.every((d) => d.allowed)).toBe(true);
    // The first asked for up to 100 and got floor(1599 / 16) = 99; the other 19 came while it
    // was out, asked for nothing and waited for it: admitted on its grant.
    expect(scriptCalls()).toBe(1);
    expect(await counted(check)).toBe(1 + 99);
  });

  it('admits a request Redis refused from a grant that came in for another request meanwhile', async () => {
    const limiter = new SlidingWindowLimiter(t.context('ratelimit').redis, { share: 16, max: 100 });
    const check = limitCheck('requests', 40);
    await awayFromWindowEnd(60_000, 2_000);
    // The first is granted floor(39 / 16) = 2, the next 37 fill the counter one by one, the last
    // 2 are refused there: after the grant arrived, so they are admitted from it.
    const burst = await Promise.all(Array.from({ length: 40 }, () => limiter.check([request(check)])));
    expect(burst.filter((d) => d.allowed)).toHaveLength(40);
    expect(await counted(check)).toBe(40);
    expect((await limiter.check([request(check)])).allowed).toBe(false);
  });

  it('spends the grant of a covered check when another check has to go to Redis, instead of counting it again', async () => {
    const { redis, scriptCalls } = countingRedis();
    const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
    const requests = limitCheck('requests', 1600);
    const tokens = limitCheck('tokens', 1000);
    await awayFromWindowEnd(60_000, 2_000);
    await limiter.check([request(requests)]);
    expect(await counted(requests)).toBe(100);

    // No view of the token counter yet: Redis is asked, about the tokens only.
    const before = scriptCalls();
    const decision = await limiter.check([request(requests), { check: tokens, cost: 0 }]);
    expect(decision.allowed).toBe(true);
    expect(scriptCalls() - before).toBe(1);
    expect(await counted(requests)).toBe(100);
    expect(decision.results.map((r) => r.remaining)).toEqual([1598, 1000]);
    // Now both are covered.
    await limiter.check([request(requests), { check: tokens, cost: 0 }]);
    expect(scriptCalls() - before).toBe(1);
  });
});

it('shrinks grants to nothing near the limit, so every request reaches Redis there', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
  const check = limitCheck('requests', 20);
  await awayFromWindowEnd(60_000, 2_000);

  const calls: number[] = [];
  const allowed: boolean[] = [];
  for (let i = 0; i < 22; i++) {
    const before = scriptCalls();
    allowed.push((await limiter.check([request(check)])).allowed);
    calls.push(scriptCalls() - before);
  }
  // floor((20 - 0 - 1) / 16) = 1 granted, spent by the 2nd; floor((20 - 2 - 1) / 16) = 1 again,
  // spent by the 4th; from 4 counted on, (20 - 4 - 1) / 16 < 1: nothing more is granted.
  expect(calls).toEqual([1, 0, 1, 0, ...Array(18).fill(1)]);
  expect(allowed).toEqual([...Array(20).fill(true), false, false]);
  expect(await counted(check)).toBe(20);
});

it('does not spend a grant after the window it was counted in', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
  // 1-second windows (windowSeconds may be 1): start just after a window begins.
  const check = limitCheck('requests', 1600, 1000);
  await sleep(1000 - (Date.now() % 1000) + 20);

  expect((await limiter.check([request(check)])).allowed).toBe(true);
  const before = scriptCalls();
  expect((await limiter.check([request(check)])).allowed).toBe(true);
  expect(scriptCalls() - before).toBe(0);

  // The next window: the 98 units left are not spent there, where each would weigh less than one.
  await sleep(1000 - (Date.now() % 1000) + 20);
  expect((await limiter.check([request(check)])).allowed).toBe(true);
  expect(scriptCalls() - before).toBe(1);
  // Counted in the new window: this request and its own new grant.
  const fresh = await counted(check);
  expect(fresh).toBeGreaterThan(1);
  expect(fresh).toBeLessThanOrEqual(101);
});

it('takes tokens used here off the token view, so the next check asks Redis and is refused', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
  const requests = limitCheck('requests', 1600);
  const tokens = limitCheck('tokens', 100);
  const checks = [request(requests), { check: tokens, cost: 0 }];

  expect((await limiter.check(checks)).allowed).toBe(true);
  let before = scriptCalls();
  // Grant and view cover it: from memory, and the view tells what is left.
  const covered = await limiter.check(checks);
  expect(covered.allowed).toBe(true);
  expect(covered.results[1]!.remaining).toBe(100);
  expect(scriptCalls() - before).toBe(0);

  // Used up here; not yet in Redis (waiting for a check or the flush timer).
  const landed = limiter.add([tokens], 100);
  before = scriptCalls();
  const refused = await limiter.check(checks);
  expect(scriptCalls() - before).toBe(1);
  expect(refused.allowed).toBe(false);
  expect(refused.results[1]!.retryMs).toBeGreaterThan(0);
  await landed;
});

/**
 * A limiter on a clock the test moves (how late a timer fires on a busy machine must not decide
 * whether a check lands in the last quarter of a view's trust or after it), another instance on
 * the same Redis, and the checks of a request under a request limit and a token limit.
 *
 * Hour-long windows: a view is trusted for the time its window has left, at most a second, and
 * that is read off the wall clock (Redis's TIME). Once in CI both tests that use this found
 * their views trusted for less than the test assumed, though the setup had waited for 3 s of the
 * window to be left; a wall clock that steps (a virtual machine catching up) fits that. With an
 * hour's window a step has to land in the hour's last second to matter.
 */
async function tokenViewSetup() {
  const { redis, scriptCalls, scriptsAnswered } = countingRedis();
  const clock = { at: performance.now() };
  const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 }, () => clock.at);
  const other = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
  const hour = 3_600_000;
  const tokens = limitCheck('tokens', 1000, hour);
  const checks = [request(limitCheck('requests', 1600, hour)), { check: tokens, cost: 0 }];
  await awayFromWindowEnd(hour, 3_000);
  return { scriptCalls, scriptsAnswered, clock, limiter, other, tokens, checks };
}

it('refreshes a token view before it lapses, on the side, so requests keep being admitted from memory and see other instances\' tokens', async () => {
  const { scriptCalls, scriptsAnswered, clock, limiter, other, tokens, checks } = await tokenViewSetup();

  // The first check asks Redis and leaves a grant and a view trusted for VIEW_TRUST_MS.
  const viewFrom = clock.at;
  expect((await limiter.check(checks)).allowed).toBe(true);
  // Another instance uses 300 tokens; this one's view does not know.
  await other.add([tokens], 300);

  // Early in the view's trust: from memory, nothing sent.
  let before = scriptCalls();
  expect((await limiter.check(checks)).results[1]!.remaining).toBe(1000);
  expect(scriptCalls() - before).toBe(0);

  // Within VIEW_REFRESH_AHEAD_MS of its end: still from memory, and one refresh goes out on the side.
  clock.at = viewFrom + VIEW_TRUST_MS - VIEW_REFRESH_AHEAD_MS / 2;
  before = scriptCalls();
  expect((await limiter.check(checks)).allowed).toBe(true);
  expect((await limiter.check(checks)).allowed).toBe(true);
  // Sent after the admissions' turn, once for both.
  expect(scriptCalls() - before).toBe(0);
  await new Promise((r) => setImmediate(r));
  expect(scriptCalls() - before).toBe(1);
  await scriptsAnswered();

  // Past the first view's end: the refreshed one admits from memory, with the other's tokens in it.
  clock.at = viewFrom + VIEW_TRUST_MS + 50;
  before = scriptCalls();
  const decision = await limiter.check(checks);
  expect(decision.allowed).toBe(true);
  expect(decision.results[1]!.remaining).toBe(700);
  expect(scriptCalls() - before).toBe(0);
});

it('refreshes a token view with the flush of its own tokens, so a request within a second of the last sends nothing from its way in', async () => {
  const { scriptCalls, clock, limiter, other, tokens, checks } = await tokenViewSetup();

  const viewFrom = clock.at;
  expect((await limiter.check(checks)).allowed).toBe(true);
  await other.add([tokens], 300);
  // The request's answer used 40 tokens; they go to Redis 600 ms into the view's trust.
  clock.at = viewFrom + 600;
  const landed = limiter.add([tokens], 40);
  await limiter.flush();
  await landed;

  // Where the first view would have been refreshed from an admission, and past its end: the
  // view the flush brought back admits from memory, with both instances' tokens in it.
  for (const at of [viewFrom + VIEW_TRUST_MS - VIEW_REFRESH_AHEAD_MS / 2, viewFrom + VIEW_TRUST_MS + 50]) {
    clock.at = at;
    const before = scriptCalls();
    const decision = await limiter.check(checks);
    await new Promise((r) => setImmediate(r));
    expect(decision.allowed).toBe(true);
    expect(decision.results[1]!.remaining).toBe(660);
    expect(scriptCalls() - before).toBe(0);
  }
});

/**
 * A view taken, `used` tokens spent by another instance, then, once the view has lapsed (a quiet
 * spell; the grant of the hour's window is still there), a burst of `size` checks at once: its
 * decisions, and the scripts it sent.
 */
async function burstAfterViewLapsed(used: number, size: number) {
  const { scriptCalls, scriptsAnswered, clock, limiter, other, tokens, checks } = await tokenViewSetup();
  const viewFrom = clock.at;
  expect((await limiter.check(checks)).allowed).toBe(true);
  await other.add([tokens], used);
  await scriptsAnswered();
  clock.at = viewFrom + VIEW_TRUST_MS + 50;
  const before = scriptCalls();
  const burst = await Promise.all(Array.from({ length: size }, () => limiter.check(checks)));
  return { burst, scripts: scriptCalls() - before };
}

it('sends one script for a burst that finds its token view lapsed, and admits the whole burst on its reply', async () => {
  const { burst, scripts } = await burstAfterViewLapsed(300, 16);
  expect(burst.every((d) => d.allowed)).toBe(true);
  // The first went to Redis; the other 15 waited for its reply instead of each sending one.
  expect(scripts).toBe(1);
  // Each saw the new view, with the other instance's tokens in it.
  expect(burst.map((d) => d.results[1]!.remaining)).toEqual(Array(16).fill(700));
});

it('sends a burst waiting for a token view to Redis when the reply that was to bring it fails', async () => {
  const { clock, checks } = await tokenViewSetup();
  const { redis, scriptCalls, scriptsAnswered } = countingRedis();
  // The same store, with the next script call failing before it is sent.
  let failNext = false;
  const failing = new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if ((property === 'evalsha' || property === 'eval') && failNext) {
        return () => {
          failNext = false;
          return Promise.reject(new Error('connection lost'));
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  const limiter = new SlidingWindowLimiter(failing, { share: 16, max: 100 }, () => clock.at);
  const viewFrom = clock.at;
  expect((await limiter.check(checks)).allowed).toBe(true);
  await scriptsAnswered();

  clock.at = viewFrom + VIEW_TRUST_MS + 50;
  failNext = true;
  const before = scriptCalls();
  const burst = await Promise.allSettled(Array.from({ length: 8 }, () => limiter.check(checks)));
  // The first request's script failed, and so did its check. The 7 that waited for its reply
  // wait only once: then each asked Redis itself.
  expect(burst[0]!.status).toBe('rejected');
  const admitted = burst.slice(1).map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  expect(admitted.every((d) => d?.allowed)).toBe(true);
  expect(admitted.map((d) => d?.results[1]!.remaining)).toEqual(Array(7).fill(1000));
  expect(scriptCalls() - before).toBe(7);
});

/** A limiter far from its limit whose first grant of 100 has 50 left, with no top-up asked for yet. */
async function grantHalfSpent() {
  const { redis, scriptCalls, scriptsAnswered } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
  const check = limitCheck('requests', 1_600_000);
  await awayFromWindowEnd(60_000, 3_000);
  expect((await limiter.check([request(check)])).allowed).toBe(true);
  for (let i = 0; i < 50; i++) limiter.check([request(check)]);
  return { limiter, check, scriptCalls, scriptsAnswered };
}

it('admits requests that find the grant spent while its top-up is out on the units it brings, as many as it asked for', async () => {
  const { limiter, check, scriptCalls, scriptsAnswered } = await grantHalfSpent();
  const before = scriptCalls();
  // A burst before any answer: 50 on what is left (the first of them to leave 49 asks ahead for
  // 51 more), 51 wait for that top-up, and the 4 that nothing is coming for go to Redis.
  const burst = await Promise.all(Array.from({ length: 50 + 51 + 4 }, () => limiter.check([request(check)])));
  expect(burst.every((d) => d.allowed)).toBe(true);
  expect(scriptCalls() - before).toBe(1 + 4);
  await scriptsAnswered();
  // The 156 requests, and what this instance holds on top for the next ones: never more than max.
  const held = (await counted(check)) - (1 + 50 + 105);
  expect(held).toBeGreaterThanOrEqual(0);
  expect(held).toBeLessThanOrEqual(100);
});

it('checks requests waiting for a top-up in Redis when the rules change meanwhile: its units are not theirs', async () => {
  const { limiter, check, scriptCalls } = await grantHalfSpent();
  const before = scriptCalls();
  // 50 on the grant (one of them asks ahead for 51), and 10 that wait for that top-up...
  const burst = Promise.all(Array.from({ length: 60 }, () => limiter.check([request(check)])));
  // ...when the rules change, before it is even sent: its reply installs nothing.
  limiter.dropGrants();
  expect((await burst).every((d) => d.allowed)).toBe(true);
  expect(scriptCalls() - before).toBe(1 + 10);
});

it('refuses a burst waiting for a token view in Redis when the reply shows no tokens left', async () => {
  // Another instance used all of them.
  const { burst, scripts } = await burstAfterViewLapsed(1000, 4);
  expect(burst.every((d) => !d.allowed)).toBe(true);
  // A view with nothing left admits nothing from memory: each waiter asked Redis, which refused.
  expect(scripts).toBe(4);
});

it('checks every request in Redis with grants off (share 0 or max 0)', async () => {
  for (const grants of [
    { share: 0, max: 100 },
    { share: 16, max: 0 },
  ]) {
    const { redis, scriptCalls } = countingRedis();
    const limiter = new SlidingWindowLimiter(redis, grants);
    const check = limitCheck('requests', 1600);
    const before = scriptCalls();
    for (let i = 1; i <= 5; i++) {
      expect((await limiter.check([request(check)])).allowed).toBe(true);
      expect(await counted(check)).toBe(i);
    }
    expect(scriptCalls() - before).toBe(5);
  }
});

describe('rule changes', () => {
  const rule = (requestsPerMinute: number): LimitRule => ({
    id: 'key-default',
    scope: 'key',
    subjectId: null,
    requestsPerMinute,
    requestsPerWindow: null,
    tokensPerMinute: null,
    tokensPerWindow: null,
    windowSeconds: null,
    createdAt: 0,
    updatedAt: requestsPerMinute,
  });

  it('drops every grant when a reload finds the rules changed, and keeps them when it does not', async () => {
    const { redis, scriptCalls } = countingRedis();
    const limiter = new SlidingWindowLimiter(redis, { share: 16, max: 100 });
    const rules = { current: [rule(1600)] };
    const cache = new RuleCache({ all: async () => rules.current } as unknown as RuleStore, {} as EventBus, pino({ level: 'silent' }));
    cache.onChange(() => limiter.dropGrants());
    await cache.load();
    const caller = { kind: 'api_key' as const, keyId: `grants-${process.pid}-${Date.now()}`, roles: [], permissions: new Set<string>() };
    const checks = () => cache.checksFor(caller).map((check) => ({ check, cost: 1 }));
    await awayFromWindowEnd(60_000, 2_000);

    expect((await limiter.check(checks())).allowed).toBe(true);
    let before = scriptCalls();
    expect((await limiter.check(checks())).allowed).toBe(true);
    expect(scriptCalls() - before).toBe(0);

    // A refresh that finds the same rules keeps the grant.
    await cache.load();
    expect((await limiter.check(checks())).allowed).toBe(true);
    expect(scriptCalls() - before).toBe(0);

    // Lowered to 5: 100 are counted already, and the 97 units still held are not spent.
    rules.current = [rule(5)];
    await cache.load();
    before = scriptCalls();
    const decision = await limiter.check(checks());
    expect(scriptCalls() - before).toBe(1);
    expect(decision.allowed).toBe(false);
  });

  it('drops grants on a change made through the admin API', async () => {
    const k = await startLimitKernel({ ratelimit: { limits: [{ scope: 'key', requestsPerMinute: 1600 }] } });
    try {
      const { key } = await k.createKey('acme');
      const call = () => k.fetch(PROBE_PATH, { method: 'POST', headers: bearer(key), body: {} });
      await awayFromWindowEnd(60_000, 2_000);
      expect((await call()).status).toBe(200);
      // From the grant: what the key really has left is the limit less the one request.
      expect((await call()).headers.get('x-ratelimit-remaining')).toBe('1598');

      const rules = await k.call('GET', '/v1/admin/rate-limits');
      expect((await k.call('PATCH', `/v1/admin/rate-limits/${rules.body.data[0].id}`, { body: { requests_per_minute: 50 } })).status).toBe(200);
      // 100 counted (2 requests and the 98 units held) exceed the new 50: refused at once.
      const refused = await call();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('x-ratelimit-limit')).toBe('50');
    } finally {
      await k.stop();
    }
  });
});

// Two gateway kernels share counters only through a real Redis (memory:// is private to each
// kernel) and keys only through a real database, so the full path across instances
// (middleware, rule cache, grants) runs only there.
it.runIf(Boolean(process.env.SCAIGRID_TEST_REDIS_URL && process.env.SCAIGRID_TEST_DATABASE_URL))('admits exactly the limit over two gateways sharing Redis', async () => {
  const limits = [{ scope: 'tenant', id: 'acme', requestsPerMinute: 200 }];
  const first = await startLimitKernel({ ratelimit: { limits } });
  const second = await startLimitKernel({ shareWith: first, ratelimit: { limits } });
  try {
    const a = await first.createKey('acme', 'a');
    const b = await first.createKey('acme', 'b');
    await awayFromWindowEnd(60_000, 5_000);
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const gateway = i % 2 === 0 ? first : second;
      statuses.push((await gateway.fetch(PROBE_PATH, { method: 'POST', headers: bearer(i % 4 < 2 ? a.key : b.key), body: {} })).status);
    }
    // One at a time, each gateway spends its grant before asking again, so none is left unspent.
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100);
  } finally {
    await second.stop();
    await first.stop();
  }
});
