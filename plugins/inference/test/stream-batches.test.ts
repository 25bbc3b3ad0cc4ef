/**
 * A streamed answer travels in batches: the chunks a dispatcher hands on together (one upstream
 * read) stay together up to the SSE writer, and the client gets the same events as when they
 * come one by one. The service offers the answer one chunk at a time too.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef, type ChatChunk, type ChatStreamItem } from '@scaigrid/plugin-dispatch';
import { inferenceServiceRef, type ChatStreamOutcome } from '../src/index.js';
import { openAIStreamEvents } from '../src/openai/openai-routes.js';
import { OpenAIStreamEncoder } from '../src/openai/openai-response-mapping.js';
import { authHeaders, readSse, startGateway, type Gateway } from './support/gateway.js';

const text = (t: string): ChatChunk => ({ type: 'text', text: t });
const ANSWER: ChatStreamItem[] = [
  [text('one '), text('two ')],
  text('three '),
  [text('four'), { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: { promptTokens: 3, completionTokens: 4 } }],
];

/** A provider kind whose streams yield the items of ANSWER as they are: arrays and single chunks. */
const batchingProvider = defineModule({
  id: 'batching-provider',
  version: '0.0.0',
  dependsOn: ['dispatch'],
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register({
      kind: 'batching',
      async chat() {
        throw new Error('streams only');
      },
      async chatStream() {
        return (async function* () {
          yield* ANSWER;
        })();
      },
    });
  },
});

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({
    modules: [batchingProvider],
    config: {
      dispatch: { providers: [{ id: 'batcher', kind: 'batching', baseUrl: 'http://127.0.0.1:9', timeoutMs: 5000 }] },
      routing: { models: [{ slug: 'batched', backends: [{ providerId: 'batcher', upstreamModel: 'b' }] }] },
    },
  });
});
afterAll(async () => {
  await gw?.stop();
});

async function stream(): Promise<ChatStreamOutcome> {
  return gw.t.context('inference').use(inferenceServiceRef).chatStream({
    api: 'openai',
    requestId: `req-${Math.random().toString(36).slice(2)}`,
    caller: { kind: 'service', name: 'test', roles: [], permissions: new Set(['models:use']) },
    request: { model: 'batched', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
    signal: new AbortController().signal,
  });
}

it('keeps the chunks a dispatcher handed on together in one batch', async () => {
  const { batches, ctx } = await stream();
  const seen: string[][] = [];
  for await (const batch of batches) seen.push(batch.map((c) => (c.type === 'text' ? c.text : c.type)));
  expect(seen).toEqual([['one ', 'two '], ['three '], ['four', 'finish', 'usage']]);
  expect(ctx.usage).toEqual({ promptTokens: 3, completionTokens: 4 });
});

it('offers the same answer one chunk at a time', async () => {
  const { chunks } = await stream();
  const seen: string[] = [];
  for await (const chunk of chunks) seen.push(chunk.type === 'text' ? chunk.text : chunk.type);
  expect(seen).toEqual(['one ', 'two ', 'three ', 'four', 'finish', 'usage']);
});

it('says a stream is alone when no other request started on the instance before it was accepted', async () => {
  const first = stream();
  // Started before the first is accepted: acceptance waits for the dispatch's promises.
  const second = stream();
  const outcomes = await Promise.all([first, second]);
  expect(outcomes.map((o) => o.alone)).toEqual([false, true]);
  for (const outcome of outcomes) for await (const _ of outcome.batches);
  const third = await stream();
  expect(third.alone).toBe(true);
  for await (const _ of third.batches);
});

// An own getter on a per-request object lives in its hidden class, in V8's old generation: its
// closure and the whole request it reaches then outlive young collections (bench/README.md,
// "Garbage that lives too long"). The one-by-one view must come from a prototype.
it('hands the outcome over without a getter of its own', async () => {
  const outcome = await stream();
  const own = Object.getOwnPropertyNames(outcome).map((name) => Object.getOwnPropertyDescriptor(outcome, name)!);
  expect(own.filter((d) => d.get !== undefined || d.set !== undefined)).toEqual([]);
  for await (const batch of outcome.batches) expect(batch.length).toBeGreaterThan(0);
});

it('writes a batched stream to the client as the usual OpenAI events', async () => {
  const res = await gw.t.fetch('/oai/v1/chat/completions', {
    method: 'POST',
    headers: authHeaders(),
    body: { model: 'batched', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] },
  });
  expect(res.status).toBe(200);
  const events = await readSse(res);
  expect(events.at(-1)!.data).toBe('[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number } });
  expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three four');
  expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(4);
  expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
  expect(chunks.at(-1)!.usage?.completion_tokens).toBe(4);
});

it('hands the OpenAI events on one item per batch: the role chunk with the first, the closing chunks with [DONE]', async () => {
  // Each item is a step through every generator down to the upstream body; the wire is the same either way.
  async function* batches(): AsyncGenerator<ChatChunk[]> {
    yield [text('one ')];
    yield [text('two'), { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: { promptTokens: 3, completionTokens: 2 } }];
  }
  const encoder = new OpenAIStreamEncoder({ id: 'chatcmpl-1', created: 1, model: 'batched' }, true);
  const describe = (data: string): string => {
    if (data === '[DONE]') return data;
    const chunk = JSON.parse(data) as { choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[] };
    const choice = chunk.choices[0];
    if (!choice) return 'usage';
    return choice.finish_reason ?? (choice.delta.content || choice.delta.role!);
  };
  const items: string[][] = [];
  for await (const item of openAIStreamEvents({ usage: { promptTokens: 3, completionTokens: 2 } }, batches(), encoder)) {
    items.push((Array.isArray(item) ? item : [item]).map((event: { data: string }) => describe(event.data)));
  }
  expect(items).toEqual([['assistant', 'one '], ['two'], ['stop', 'usage', '[DONE]']]);
});
