/**
 * The load generator's lead-in: answers in the lead-in are kept out of the measured figures and
 * reported on their own, and the caller hears when the measured part starts.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { runLoad } from '../load.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/**
 * A server that answers 25 ms late for its first 500 ms of load, as a gateway right after idling
 * is slow, then in ~2 ms: over one second at 4 connections, the slow answers are ~7 % of all.
 */
async function slowAtFirst(): Promise<string> {
  let firstAt: number | undefined;
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      firstAt ??= performance.now();
      const answer = () => res.end('{}');
      setTimeout(answer, performance.now() - firstAt < 500 ? 25 : 2);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/`;
}

it('keeps the lead-in out of the measured figures and reports its p99 apart', async () => {
  const url = await slowAtFirst();
  let measuringCalls = 0;
  // autocannon ends a run on a whole second: the lead-in and the measured part are a second each.
  const result = await runLoad({ url, headers: {} }, '{}', 4, 1, { leadInSeconds: 1, atStart: () => ++measuringCalls });
  expect(measuringCalls).toBe(1);
  expect(result.failed).toBe(0);
  expect(result.leadIn!.ok).toBeGreaterThan(0);
  expect(result.leadIn!.p99).toBeGreaterThanOrEqual(20);
  expect(result.ok).toBeGreaterThan(0);
  expect(result.p99).toBeLessThan(20);
  expect(result.seconds).toBeGreaterThan(0.8);
  expect(result.seconds).toBeLessThan(1.5);
  expect(result.rps).toBeCloseTo(result.ok / result.seconds, 6);
});

it('measures the whole run when there is no lead-in, slow start included', async () => {
  const url = await slowAtFirst();
  let measuringCalls = 0;
  const result = await runLoad({ url, headers: {} }, '{}', 4, 1, { atStart: () => ++measuringCalls });
  expect(measuringCalls).toBe(1);
  expect(result.leadIn).toBeUndefined();
  // The 25 ms answers of the first 500 ms are more than 1 % of the run's.
  expect(result.p99).toBeGreaterThanOrEqual(20);
});
