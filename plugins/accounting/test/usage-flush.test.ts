/**
 * The usage flusher: records move from Redis to the database exactly once, and are removed
 * from Redis only after the database has them — also when a flusher died after claiming a
 * batch, or after writing it but before deleting it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UsageQueue, usageBatchKey } from '../src/usage-queue.js';
import { toRow, type UsageRecord } from '../src/usage-record.js';
import { UsageStore } from '../src/usage-store.js';
import { auth, chatBody, flushUsage, KEYS, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  // Stale after 0 s: any batch left claimed counts as orphaned on the next tick.
  gw = await startGateway({ accounting: { flush: { batchSize: 3, staleBatchSeconds: 0 } } });
});
afterAll(async () => {
  await gw?.stop();
});

async function send(n: number, prefix: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: { ...auth(KEYS.member), 'x-request-id': `${prefix}-${i}` }, body: chatBody({ max_tokens: 20 }) });
    expect(res.status).toBe(200);
  }
  // Each answer leaves before its usage is settled into Redis: the tests below read Redis next.
  await gw.t.settled();
}

function parts() {
  const ctx = gw.t.context('accounting');
  return { queue: new UsageQueue(ctx.redis), store: new UsageStore(ctx.db, ctx.dialect, ctx.table('usage')), redis: ctx.redis };
}

it('flushes every record once, in batches, and empties Redis', async () => {
  await send(7, 'flush');
  const { queue } = parts();
  expect(await queue.pendingCount()).toBe(7);
  const rows = (await flushUsage(gw.t)).filter((r) => String(r.request_id).startsWith('flush-'));
  expect(rows.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 7 }, (_, i) => `flush-${i}`).sort());
  expect(await queue.pendingCount()).toBe(0);
  expect(await queue.batchCount()).toBe(0);
  expect((await flushUsage(gw.t)).filter((r) => String(r.request_id).startsWith('flush-'))).toHaveLength(7);
});

it('a flusher that died after claiming a batch: the batch is taken over and written', async () => {
  await send(2, 'claimed');
  const { queue, redis } = parts();
  const batchId = await queue.claim(10, Date.now());
  expect(batchId).toBeDefined();
  expect(await redis.llen(usageBatchKey(batchId!))).toBe(2);
  expect(await queue.pendingCount()).toBe(0);

  const rows = (await flushUsage(gw.t)).filter((r) => String(r.request_id).startsWith('claimed-'));
  expect(rows).toHaveLength(2);
  expect(await redis.exists(usageBatchKey(batchId!))).toBe(0);
  expect(await queue.batchCount()).toBe(0);
});

it('a flusher that died after writing but before deleting: the re-write adds no duplicate', async () => {
  await send(3, 'written');
  const { queue, store } = parts();
  const batchId = (await queue.claim(10, Date.now()))!;
  const records = (await queue.read(batchId)).map((item) => JSON.parse(item) as UsageRecord);
  await store.insertIgnoringDuplicates(records.map(toRow));
  // ...and the process died here: the batch is still in Redis.

  const rows = (await flushUsage(gw.t)).filter((r) => String(r.request_id).startsWith('written-'));
  expect(rows).toHaveLength(3);
  expect(new Set(rows.map((r) => r.id)).size).toBe(3);
  expect(await queue.batchCount()).toBe(0);
});

it('writing the same rows twice keeps one row per accounting id (insert-ignore on both dialects)', async () => {
  const { store } = parts();
  const record: UsageRecord = {
    id: '01JTESTDUPLICATE0000000000',
    requestId: 'dup-1',
    keyId: null,
    userId: null,
    tenantId: null,
    partnerId: null,
    model: 'chat-model',
    backendId: null,
    provider: null,
    tokensIn: 1,
    tokensOut: 2,
    costMicros: 5,
    currency: 'USD',
    latencyMs: 3,
    status: 'ok',
    estimated: false,
    createdAt: Date.now(),
  };
  await store.insertIgnoringDuplicates([toRow(record), toRow({ ...record, id: '01JTESTDUPLICATE0000000001' })]);
  await store.insertIgnoringDuplicates([toRow({ ...record, costMicros: 999 }), toRow(record)]);
  const rows = (await flushUsage(gw.t)).filter((r) => r.request_id === 'dup-1');
  expect(rows).toHaveLength(2);
  expect(rows.map((r) => Number(r.cost_micros))).toEqual([5, 5]);
});
