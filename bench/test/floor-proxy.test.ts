/**
 * The floor proxy forwards a chat completion and a stream to the mock upstream unchanged, so
 * the floor figures measure a real hop (bench/floor-proxy.mjs, real processes, loopback).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFloorProxy, startMock, UPSTREAM_MODELS, type HelperProcess } from '../gateway.js';

let mock: HelperProcess;
let floor: HelperProcess;
beforeAll(async () => {
  mock = await startMock(false);
  floor = await startFloorProxy(mock.port, false);
});
afterAll(() => {
  floor?.stop();
  mock?.stop();
});

const call = (stream: boolean) =>
  fetch(`http://127.0.0.1:${floor.port}/oai/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: UPSTREAM_MODELS.fast, messages: [{ role: 'user', content: 'hi' }], stream }),
  });

it('forwards a chat completion to the upstream and returns its answer', async () => {
  const before = (await (await fetch(`http://127.0.0.1:${mock.port}/stats`)).json()) as { requests: number };
  const res = await call(false);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  expect(body.choices[0]!.message.content).toMatch(/^The quick brown fox/);
  const after = (await (await fetch(`http://127.0.0.1:${mock.port}/stats`)).json()) as { requests: number };
  expect(after.requests).toBe(before.requests + 1);
});

it('streams the upstream events through', async () => {
  const res = await call(true);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text();
  expect(text.split('\n\n').filter((e) => e.includes('"content"')).length).toBeGreaterThanOrEqual(20);
  expect(text).toContain('data: [DONE]');
});
