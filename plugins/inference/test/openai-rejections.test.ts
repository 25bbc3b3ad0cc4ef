/**
 * Requests the gateway must refuse on /oai/v1 before anything reaches the upstream: an
 * oversized body, and keys that are expired or revoked (after having been cached).
 */
import authModule from '@scaigrid/plugin-auth';
import dispatchModule from '@scaigrid/plugin-dispatch';
import dispatchOpenAIModule from '@scaigrid/plugin-dispatch-openai';
import routingModule from '@scaigrid/plugin-routing';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import inferenceModule from '../src/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/fake-openai.js';

const ADMIN_KEY = 'sgk_inferenceRejectionsAdminKey000000000000000';
process.env.INFERENCE_REJECTIONS_ADMIN_KEY = ADMIN_KEY;

let t: TestKernel;
let upstream: FakeOpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  t = await startTestKernel({
    modules: [authModule, routingModule, dispatchModule, dispatchOpenAIModule, inferenceModule],
    kernel: { server: { bodyLimit: 64 * 1024 } },
    config: {
      auth: { bootstrap: { enabled: false }, seed: { keys: [{ name: 'admin', roles: ['admin'], secretEnv: 'INFERENCE_REJECTIONS_ADMIN_KEY' }] } },
      dispatch: { providers: [{ id: 'fake', kind: 'openai', baseUrl: upstream.url, timeoutMs: 5000 }] },
      routing: { models: [{ slug: 'chat-model', backends: [{ providerId: 'fake', upstreamModel: 'gpt-4o-mini' }] }] },
    },
  });
});

afterAll(async () => {
  await t?.stop();
  await upstream?.close();
});

const chat = (key: string, content = 'hi') =>
  t.fetch('/oai/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: { model: 'chat-model', messages: [{ role: 'user', content }] },
  });

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const res = await t.fetch('/v1/admin/keys', { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` }, body: { name: 'app', roles: ['member'], ...body } });
  expect(res.status).toBe(201);
  return res.json();
}

describe('refused before the upstream', () => {
  it('an oversized body → 413 in OpenAI shape', async () => {
    const before = upstream.requests.length;
    const res = await chat(ADMIN_KEY, 'x'.repeat(100 * 1024));
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(upstream.requests.length).toBe(before);
  });

  it('an expired key → 401', async () => {
    const { key } = await createKey({ expires_in_seconds: 1 });
    expect((await chat(key)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    const before = upstream.requests.length;
    const res = await chat(key);
    expect(res.status).toBe(401);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_api_key' });
    expect(upstream.requests.length).toBe(before);
  });

  it('a revoked key → 401, though it was cached', async () => {
    const { id, key } = await createKey({});
    expect((await chat(key)).status).toBe(200);
    const revoke = await t.fetch(`/v1/admin/keys/${id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(revoke.status).toBeLessThan(300);
    const before = upstream.requests.length;
    const res = await chat(key);
    expect(res.status).toBe(401);
    expect(upstream.requests.length).toBe(before);
  });
});
