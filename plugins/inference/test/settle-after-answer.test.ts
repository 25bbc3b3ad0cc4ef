/**
 * A successful answer reaches the client without waiting for the `afterResponse` hooks
 * (usage, token counts), also while other settlements are in flight (a busy instance), and a
 * stopping gateway waits for them all before its modules stop. A request alone on the instance has its answer written before
 * its settlement even starts.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { defineModule } from '@scaigrid/kernel';
import { inferenceHooksRef } from '../src/index.js';
import { authHeaders, readSse, startGateway, type Gateway } from './support/gateway.js';

/** A hook whose afterResponse holds until `release()`, recording when it finishes and when its module stops. */
function slowSettler() {
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const module = defineModule({
    id: 'slow-settler',
    version: '0.0.0',
    dependsOn: ['inference'],
    setup(ctx) {
      ctx.use(inferenceHooksRef).register({
        name: 'slow-settler',
        async afterResponse(c) {
          events.push(`settling ${c.usage?.completionTokens ?? '?'} tokens`);
          await gate;
          events.push('settled');
        },
      });
      return { stop: () => void events.push('module stopped') };
    },
  });
  return { module, events, release };
}

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

const chat = (g: Gateway, stream: boolean) =>
  g.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: authHeaders(), body: { model: 'chat-model', stream, messages: [{ role: 'user', content: 'hi' }] } });

it('answers a completion while afterResponse is still settling; stop waits for the settlement', async () => {
  const settler = slowSettler();
  gw = await startGateway({ modules: [settler.module] });
  gw.upstream.script({ text: 'fine', usage: { prompt_tokens: 7, completion_tokens: 3 } });

  const res = await chat(gw, false);
  expect(res.status).toBe(200);
  expect((await res.json()).choices[0].message.content).toBe('fine');
  // The hook started (with the usage) once the answer was written, and has not finished.
  expect(settler.events).toEqual(['settling 3 tokens']);

  const stopping = gw.t.kernel.stop(5000);
  await new Promise((r) => setTimeout(r, 100));
  expect(settler.events).toEqual(['settling 3 tokens']);
  settler.release();
  await stopping;
  expect(settler.events).toEqual(['settling 3 tokens', 'settled', 'module stopped']);
});

it('ends a stream with [DONE] while afterResponse is still settling', async () => {
  const settler = slowSettler();
  gw = await startGateway({ modules: [settler.module] });
  gw.upstream.script({ text: 'streamed answer', usage: { prompt_tokens: 5, completion_tokens: 2 } });

  const events = await readSse(await chat(gw, true));
  expect(events.at(-1)?.data).toBe('[DONE]');
  expect(settler.events).toEqual(['settling 2 tokens']);
  settler.release();
  await gw.stop();
  gw = undefined;
  expect(settler.events).toEqual(['settling 2 tokens', 'settled', 'module stopped']);
});

it('answers a whole completion at once while another settlement is still in flight', async () => {
  const settler = slowSettler();
  gw = await startGateway({ modules: [settler.module] });
  gw.upstream.script({ text: 'first', usage: { prompt_tokens: 1, completion_tokens: 1 } }, { text: 'second', usage: { prompt_tokens: 1, completion_tokens: 2 } });

  expect((await chat(gw, false)).status).toBe(200);
  // The first settlement holds; the second answer must not queue behind it, nor behind its own.
  const second = await chat(gw, false);
  expect(second.status).toBe(200);
  expect((await second.json()).choices[0].message.content).toBe('second');
  expect(settler.events).toEqual(['settling 1 tokens', 'settling 2 tokens']);
  settler.release();
  await gw.stop();
  gw = undefined;
  expect(settler.events).toEqual(['settling 1 tokens', 'settling 2 tokens', 'settled', 'settled', 'module stopped']);
});

/** Records when each answer has been handed to the socket ('finish') and when afterResponse starts. */
function orderRecorder() {
  const events: string[] = [];
  const module = defineModule({
    id: 'order-recorder',
    version: '0.0.0',
    dependsOn: ['inference'],
    setup(ctx) {
      ctx.middleware('observe', async (c, next) => {
        (c.env as { outgoing: ServerResponse }).outgoing.once('finish', () => events.push('answer written'));
        await next();
      });
      ctx.use(inferenceHooksRef).register({ name: 'order-recorder', afterResponse: () => void events.push('settling') });
      return {};
    },
  });
  return { module, events };
}

it.each([false, true])('writes a lone answer before its settlement starts (stream: %s)', async (stream) => {
  const recorder = orderRecorder();
  gw = await startGateway({ modules: [recorder.module] });
  gw.upstream.script({ text: 'alone', usage: { prompt_tokens: 1, completion_tokens: 1 } });

  const res = await chat(gw, stream);
  expect(res.status).toBe(200);
  await res.text();
  await new Promise((r) => setTimeout(r, 20));
  expect(recorder.events).toEqual(['answer written', 'settling']);
});
