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
