/**
 * Tokens counted after a response ride along with the next check instead of a Redis call of
 * their own, are counted before that check decides, and go on their own when no check comes.
 * Runs on the embedded store, and on real Redis when SCAIGRID_TEST_REDIS_URL is set.
 */
import type { Redis } from 'ioredis';
import { countScriptCalls } from '@scaigrid/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LimitCheck } from '../src/limit-rule.js';
import { SlidingWindowLimiter, TOKEN_FLUSH_MS } from '../src/sliding-window-limiter.js';
import { limitCheck, startLimitKernel, type LimitTestKernel } from './helpers.js';

let t: LimitTestKernel;
beforeAll(async () => {
  t = await startLimitKernel();
});
afterAll(async () => {
  await t?.stop();
});

const tokenCheck = (limit: number) => limitCheck('tokens', limit);

/** The module's Redis client with its script calls counted. */
const countingRedis = () => countScriptCalls(t.context('ratelimit').redis);

const remaining = async (limiter: SlidingWindowLimiter, check: LimitCheck) => (await limiter.check([{ check, cost: 0 }])).results[0]!.remaining;

it('sends the tokens of finished requests with the next check, summed per counter, and counts them first', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis);
  const check = tokenCheck(100);
  const other = tokenCheck(1000);
  expect(await remaining(limiter, check)).toBe(100);
  const before = scriptCalls();
  const landed = Promise.all([limiter.add([check], 30), limiter.add([check, other], 25)]);
  // One Lua call: the check carried both adds, and already saw them.
  expect(await remaining(limiter, check)).toBe(45);
  await landed;
  expect(scriptCalls() - before).toBe(1);
  expect(await remaining(limiter, other)).toBe(975);
});

it('refuses a request on tokens carried by its own check', async () => {
  const limiter = new SlidingWindowLimiter(countingRedis().redis);
  const check = tokenCheck(50);
  void limiter.add([check], 50);
  const decision = await limiter.check([{ check, cost: 0 }]);
  expect(decision.allowed).toBe(false);
  expect(decision.results[0]!.retryMs).toBeGreaterThan(0);
});

it('sends tokens on their own when no check comes, and at once on flush()', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis);
  const check = tokenCheck(100);
  // The server learns the script first (a first run may take EVALSHA and then EVAL).
  await limiter.add([tokenCheck(1)], 1);
  const before = scriptCalls();
  // Resolves once counted, which takes the flush timer: no check is coming.
  await limiter.add([check], 10);
  expect(scriptCalls() - before).toBe(1);
  const reader = new SlidingWindowLimiter(redis);
  expect(await remaining(reader, check)).toBe(90);

  const flushed = limiter.add([check], 5);
  await limiter.flush();
  await flushed;
  expect(await remaining(reader, check)).toBe(85);
  // Nothing left to send: the timer that was armed finds nothing.
  await new Promise((r) => setTimeout(r, TOKEN_FLUSH_MS * 2));
  expect(await remaining(reader, check)).toBe(85);
});

it('sends the tokens of sparse requests together, once per TOKEN_FLUSH_MS', async () => {
  const { redis, scriptCalls } = countingRedis();
  const limiter = new SlidingWindowLimiter(redis);
  const check = tokenCheck(1000);
  await limiter.add([tokenCheck(1)], 1);
  const before = scriptCalls();
  // Three answers 30 ms apart with no check between them (each admitted from memory): at a
  // 20 ms flush each went alone, and woke an idle gateway 20 ms after every answer.
  const landed: Promise<void>[] = [];
  for (let i = 0; i < 3; i++) {
    landed.push(limiter.add([check], 10));
    await new Promise((r) => setTimeout(r, 30));
  }
  await Promise.all(landed);
  expect(scriptCalls() - before).toBe(1);
  expect(await remaining(new SlidingWindowLimiter(redis), check)).toBe(970);
});
