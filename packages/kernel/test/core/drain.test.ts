/**
 * Draining: while the kernel stops, an in-flight slow request completes and a new request
 * gets 503 DRAINING with Retry-After; modules stop in reverse order afterwards.
 */
import { expect, it } from 'vitest';
import { defineModule } from '../../src/index.js';
import { startTestKernel } from '@scaigrid/testing';

it('finishes in-flight requests, refuses new ones, stops modules in reverse order', async () => {
  const stopped: string[] = [];
  const slow = defineModule({
    id: 'slow',
    version: '1.0.0',
    setup(ctx) {
      ctx.routes.get('/wait', async (c) => {
        await new Promise((r) => setTimeout(r, 600));
        return c.json({ done: true });
      });
      ctx.routes.get('/quick', (c) => c.json({ quick: true }));
      return { stop: () => void stopped.push('slow') };
    },
  });
  const after = defineModule({ id: 'after', version: '1.0.0', dependsOn: ['slow'], setup: () => ({ stop: () => void stopped.push('after') }) });
  const t = await startTestKernel({ modules: [slow, after] });

  const inFlight = t.fetch('/v1/modules/slow/wait');
  await new Promise((r) => setTimeout(r, 100));
  const stopping = t.kernel.stop(5000);
  await new Promise((r) => setTimeout(r, 50));
  const refused = await t.fetch('/v1/modules/slow/quick');
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('5');
  expect((await refused.json()).error.code).toBe('DRAINING');
  expect(stopped).toEqual([]);

  const done = await inFlight;
  expect(done.status).toBe(200);
  expect(await done.json()).toEqual({ done: true });
  await stopping;
  expect(stopped).toEqual(['after', 'slow']);
  await t.stop();
});

it('waits for work a request handed to ctx.waitUntil before modules stop, after its response went out', async () => {
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const writer = defineModule({
    id: 'writer',
    version: '1.0.0',
    setup(ctx) {
      ctx.routes.post('/record', (c) => {
        ctx.waitUntil(gate.then(() => void events.push('record written')));
        return c.json({ accepted: true });
      });
      return { stop: () => void events.push('writer stopped') };
    },
  });
  const t = await startTestKernel({ modules: [writer] });

  // The response does not wait for the work.
  const res = await t.fetch('/v1/modules/writer/record', { method: 'POST' });
  expect(res.status).toBe(200);
  expect(events).toEqual([]);

  let stopDone = false;
  const stopping = t.kernel.stop(5000).then(() => (stopDone = true));
  await new Promise((r) => setTimeout(r, 100));
  expect(stopDone).toBe(false);
  expect(events).toEqual([]);

  release();
  await stopping;
  expect(events).toEqual(['record written', 'writer stopped']);
  await t.stop();
});

it('stops modules once the grace period is over even if waitUntil work never ends', async () => {
  const stopped: string[] = [];
  const stuck = defineModule({
    id: 'stuck',
    version: '1.0.0',
    setup(ctx) {
      ctx.waitUntil(new Promise(() => undefined));
      return { stop: () => void stopped.push('stuck') };
    },
  });
  const t = await startTestKernel({ modules: [stuck] });
  const started = Date.now();
  await t.kernel.stop(200);
  expect(stopped).toEqual(['stuck']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  await t.stop();
});

it("lets a test wait for the work its requests left behind (the test kernel's settled())", async () => {
  const events: string[] = [];
  const writer = defineModule({
    id: 'later',
    version: '1.0.0',
    setup(ctx) {
      ctx.routes.post('/record', (c) => {
        ctx.waitUntil(new Promise((r) => setTimeout(r, 100)).then(() => void events.push('record written')));
        return c.json({ accepted: true });
      });
    },
  });
  const t = await startTestKernel({ modules: [writer] });
  const res = await t.fetch('/v1/modules/later/record', { method: 'POST' });
  expect(res.status).toBe(200);
  expect(events).toEqual([]);
  await t.settled();
  expect(events).toEqual(['record written']);

  // Work that never ends is reported, not waited for forever.
  t.kernel.drain.waitUntil(new Promise(() => undefined));
  await expect(t.settled(50)).rejects.toThrow(/still running after 50 ms/);
  await t.stop();
});
