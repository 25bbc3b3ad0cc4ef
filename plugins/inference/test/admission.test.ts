/**
 * Admission: `admit` hooks and the checks middlewares defer to the pipeline are waited for at
 * the same time, before anything goes upstream; any refusal answers the request and every
 * hook's onError runs.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { defineModule, GatewayError } from '@scaigrid/kernel';
import { deferCheck, inferenceHooksRef } from '../src/index.js';
import { authHeaders, startGateway, type Gateway } from './support/gateway.js';

const events: string[] = [];
let checkDone!: () => void;

/** A middleware check (as the rate limiter's) that resolves when the test says, refusing on `x-refuse`. */
const deferringCheck = defineModule({
  id: 'deferring-check',
  version: '0.0.0',
  dependsOn: ['inference'],
  setup(ctx) {
    ctx.middleware(
      'authorize',
      async (c, next) => {
        const refuse = c.req.header('x-refuse') === 'yes';
        const check = new Promise<void>((resolve, reject) => {
          checkDone = () => {
            events.push('check:done');
            if (refuse) reject(new GatewayError('RATE_LIMITED', 'Slow down.'));
            else resolve();
          };
        });
        events.push(deferCheck(c, check) ? 'check:deferred' : 'check:awaited');
        await next();
      },
      { path: '/oai/v1/*' },
    );
  },
});

/** An admit hook (as accounting's hold) that records when it ran and what it had to undo. */
const holder = defineModule({
  id: 'holder',
  version: '0.0.0',
  dependsOn: ['inference'],
  setup(ctx) {
    ctx.use(inferenceHooksRef).register({
      name: 'holder',
      async admit() {
        events.push('hold:start');
        // The check is still pending while the hold is placed: the two wait together.
        checkDone();
        events.push('hold:placed');
      },
      onError(_c, error) {
        events.push(`hold:released:${error.code}`);
      },
    });
  },
});

/**
 * A hook that edits some requests after an await (as a prompt store read might) and refuses
 * others in `admit` at once, by throwing (as a budget already known to be spent would).
 * Registered after the holder, so its admit runs second.
 */
const editor = defineModule({
  id: 'editor',
  version: '0.0.0',
  dependsOn: ['inference', 'holder'],
  setup(ctx) {
    ctx.use(inferenceHooksRef).register({
      name: 'editor',
      beforeDispatch(c) {
        if (c.kind !== 'chat' || c.request.user !== 'edit-later') return;
        return new Promise<void>((resolve) => setTimeout(resolve, 5)).then(() => {
          events.push('edit:done');
        });
      },
      admit(c) {
        if (c.kind === 'chat' && c.request.user === 'refuse-now') {
          events.push('refuse:sync');
          throw new GatewayError('BUDGET_EXCEEDED', 'No budget left.');
        }
      },
    });
  },
});

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({ modules: [deferringCheck, holder, editor] });
});
afterAll(async () => gw?.stop());
beforeEach(() => {
  events.length = 0;
});

const chat = (headers: Record<string, string> = {}, body: Record<string, unknown> = { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] }) =>
  gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: { ...authHeaders(), ...headers }, body });

it('waits for the deferred check and the admit hooks together, then dispatches', async () => {
  const before = gw.upstream.requests.length;
  gw.upstream.script({ text: 'ok' });
  const res = await chat();
  expect(res.status).toBe(200);
  expect(events).toEqual(['check:deferred', 'hold:start', 'check:done', 'hold:placed']);
  expect(gw.upstream.requests.length).toBe(before + 1);
});

it('a deferred refusal answers the request, nothing goes upstream, and the hold is released', async () => {
  const before = gw.upstream.requests.length;
  const res = await chat({ 'x-refuse': 'yes' });
  expect(res.status).toBe(429);
  expect((await res.json()).error.message).toContain('Slow down.');
  expect(events).toEqual(['check:deferred', 'hold:start', 'check:done', 'hold:placed', 'hold:released:RATE_LIMITED']);
  expect(gw.upstream.requests.length).toBe(before);
});

it('admits only after a beforeDispatch edit that awaited something is done', async () => {
  const before = gw.upstream.requests.length;
  gw.upstream.script({ text: 'ok' });
  const res = await chat({}, { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], user: 'edit-later' });
  expect(res.status).toBe(200);
  expect(events).toEqual(['check:deferred', 'edit:done', 'hold:start', 'check:done', 'hold:placed']);
  expect(gw.upstream.requests.length).toBe(before + 1);
});

it('an admit hook refusing at once still lets the other checks settle, then answers with its refusal', async () => {
  const before = gw.upstream.requests.length;
  const res = await chat({}, { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], user: 'refuse-now' });
  expect(res.status).toBe(429);
  expect((await res.json()).error.code).toBe('insufficient_quota');
  expect(events).toEqual(['check:deferred', 'hold:start', 'check:done', 'hold:placed', 'refuse:sync', 'hold:released:BUDGET_EXCEEDED']);
  expect(gw.upstream.requests.length).toBe(before);
});

it('a request that fails before the pipeline leaves its refused check handled (no unhandled rejection)', async () => {
  const res = await chat({ 'x-refuse': 'yes' }, { model: 'chat-model', messages: 'not a list' });
  expect(res.status).toBe(400);
  checkDone();
  await new Promise((r) => setTimeout(r, 20));
  expect(events).toEqual(['check:deferred', 'check:done']);
});

it('outside the pipeline endpoints a check is not deferred', async () => {
  const res = await gw.t.fetch('/oai/v1/models', { headers: authHeaders() });
  expect(res.status).toBe(200);
  expect(events).toEqual(['check:awaited']);
});
