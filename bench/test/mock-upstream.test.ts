/**
 * The mock upstream's first-byte stamps: a stream whose last message names a probe is timed on
 * the shared monotonic clock, once, and other requests leave nothing behind.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { monotonicUs } from '../clock.js';
import { startMockUpstream } from '../mock-upstream.js';

let mock: Awaited<ReturnType<typeof startMockUpstream>>;
beforeAll(async () => {
  mock = await startMockUpstream();
});
afterAll(() => mock.close());

const streamRequest = (content: string, model = 'mock-model') =>
  fetch(`http://127.0.0.1:${mock.port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content }] }),
  });
const stamps = (id: string) => fetch(`http://127.0.0.1:${mock.port}/stamps/${id}`);

it('stamps a probe when its request arrived and when its first event left, on the shared clock', async () => {
  const sent = monotonicUs();
  const res = await streamRequest('Write one sentence. probe:a1', 'mock-model-delay-5');
  const text = await res.text();
  const done = monotonicUs();
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);

  const found = await stamps('a1');
  expect(found.status).toBe(200);
  const { receivedUs, firstEventUs } = (await found.json()) as { receivedUs: number; firstEventUs: number };
  expect(receivedUs).toBeGreaterThanOrEqual(sent);
  // The model waits 5 ms before each event, so the first one left at least that long after the request.
  expect(firstEventUs - receivedUs).toBeGreaterThanOrEqual(5000);
  expect(firstEventUs).toBeLessThanOrEqual(done);
  // Read once.
  expect((await stamps('a1')).status).toBe(404);
});

it('keeps nothing for requests that are not probes', async () => {
  await (await streamRequest('Write one sentence. probe a2')).text();
  expect((await stamps('a2')).status).toBe(404);
});
