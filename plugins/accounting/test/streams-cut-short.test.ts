/**
 * Streams that end early still settle exactly once with the tokens that were streamed: an
 * upstream that drops the connection mid-stream, and a client that goes away (AbortController).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth, budgetStatus, chatBody, createBudget, flushUsage, KEYS, PRICES, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const LONG_TEXT = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
/** The gateway's count when the provider reports none: four characters a token. */
const tokensFor = (chars: number) => Math.ceil(chars / 4);

function contentOf(events: string[]): string {
  let text = '';
  for (const data of events) {
    if (data === '[DONE]') continue;
    const parsed = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
    text += parsed.choices?.[0]?.delta?.content ?? '';
  }
  return text;
}

async function rowsFor(requestId: string) {
  return (await flushUsage(gw.t)).filter((r) => r.request_id === requestId);
}

/** Waits until the budget holds nothing (the settlement happened); never measures time. */
async function untilSettled(budgetId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await budgetStatus(gw.t, budgetId)).held_micros === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the hold was never settled');
}

it('an upstream drop mid-stream settles once, with the streamed tokens, flagged estimated', async () => {
  const budget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member, period: 'daily', amount: '1' });
  // Events: role chunk, then one chunk per word; drop after the role chunk and 5 words (before any usage chunk).
  gw.upstream.script({ text: LONG_TEXT, dropAfterChunks: 6 });
  const res = await gw.t.fetch('/oai/v1/chat/completions', {
    method: 'POST',
    headers: { ...auth(KEYS.member), 'x-request-id': 'drop-1' },
    body: chatBody({ stream: true, stream_options: { include_usage: true }, max_tokens: 200 }),
  });
  expect(res.status).toBe(200);
  const body = await res.text();
  const events = body.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6));
  // The stream ends with an error event, not [DONE].
  expect(events.at(-1)).not.toBe('[DONE]');
  const streamed = contentOf(events.filter((e) => !e.includes('"error"')));
  expect(streamed).toBe('word0 word1 word2 word3 word4 ');

  const rows = await rowsFor('drop-1');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'error' });
  expect(Number(rows[0]!.estimated)).toBe(1);
  expect(Number(rows[0]!.tokens_out)).toBe(tokensFor(streamed.length));
  const expectedCost = Math.ceil((Number(rows[0]!.tokens_in) * PRICES.inputMicrosPerMillion + tokensFor(streamed.length) * PRICES.outputMicrosPerMillion) / 1_000_000);
  expect(Number(rows[0]!.cost_micros)).toBe(expectedCost);
  expect(await budgetStatus(gw.t, budget.id)).toMatchObject({ spent_micros: expectedCost, held_micros: 0 });

  // Flushing again writes nothing new: one record per request.
  expect(await rowsFor('drop-1')).toHaveLength(1);
  await gw.t.fetch(`/v1/admin/budgets/${budget.id}`, { method: 'DELETE', headers: auth(KEYS.admin) });
});

it('a client disconnect settles once, as aborted, with what was streamed until then', async () => {
  const budget = await createBudget(gw.t, { scope: 'key', subject_id: gw.keyIds.member, period: 'daily', amount: '1' });
  gw.upstream.script({ text: LONG_TEXT, chunkDelayMs: 20 });
  const controller = new AbortController();
  const res = await gw.t.fetch('/oai/v1/chat/completions', {
    method: 'POST',
    headers: { ...auth(KEYS.member), 'x-request-id': 'abort-1' },
    body: chatBody({ stream: true, max_tokens: 200 }),
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let received = '';
  while (!received.includes('word3 ')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended before the client aborted');
    received += decoder.decode(value);
  }
  controller.abort();
  await gw.upstream.waitForAbort();
  await untilSettled(budget.id);

  const clientSaw = contentOf(received.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => b.slice(6)));
  const rows = await rowsFor('abort-1');
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'aborted' });
  expect(Number(rows[0]!.estimated)).toBe(1);
  const tokensOut = Number(rows[0]!.tokens_out);
  // At least what the client saw, and well short of the whole answer.
  expect(tokensOut).toBeGreaterThanOrEqual(tokensFor(clientSaw.length));
  expect(tokensOut).toBeLessThan(tokensFor(LONG_TEXT.length));
  const status = await budgetStatus(gw.t, budget.id);
  expect(status.spent_micros).toBe(Number(rows[0]!.cost_micros));
  expect(status.spent_micros).toBeGreaterThan(0);
  expect(await rowsFor('abort-1')).toHaveLength(1);
});
