/**
 * Boots the real request path for inference tests — auth, routing, dispatch, dispatch-openai,
 * inference — against a fake OpenAI upstream on 127.0.0.1:0, with two seeded API keys: a
 * member (models:use) and a guest (no permissions).
 */
import type { Module } from '@scaigrid/kernel';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule from '@scaigrid/plugin-dispatch';
import dispatchOpenAIModule from '@scaigrid/plugin-dispatch-openai';
import routingModule from '@scaigrid/plugin-routing';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import inferenceModule from '../../src/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../../test/fakes/fake-openai.js';

export const MEMBER_KEY = 'sgk_inferenceTestMemberKey0000000000000000000';
export const GUEST_KEY = 'sgk_inferenceTestGuestKey00000000000000000000';
process.env.INFERENCE_TEST_MEMBER_KEY = MEMBER_KEY;
process.env.INFERENCE_TEST_GUEST_KEY = GUEST_KEY;

export interface Gateway {
  t: TestKernel;
  upstream: FakeOpenAI;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  modules?: Module[];
  config?: Record<string, unknown>;
  /** Extra fields for the `chat-model` model (e.g. metadata). */
  chatModel?: Record<string, unknown>;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const upstream = await startFakeOpenAI();
  try {
    const t = await startTestKernel({
      modules: [authModule, routingModule, dispatchModule, dispatchOpenAIModule, inferenceModule, ...(options.modules ?? [])],
      config: {
        auth: {
          bootstrap: { enabled: false },
          roles: { guest: [] },
          seed: {
            tenants: [{ slug: 'acme' }],
            keys: [
              { name: 'member', tenant: 'acme', roles: ['member'], secretEnv: 'INFERENCE_TEST_MEMBER_KEY' },
              { name: 'guest', tenant: 'acme', roles: ['guest'], secretEnv: 'INFERENCE_TEST_GUEST_KEY' },
            ],
          },
        },
        dispatch: { providers: [{ id: 'fake', kind: 'openai', baseUrl: upstream.url, timeoutMs: 5000 }] },
        routing: {
          models: [
            { slug: 'chat-model', backends: [{ providerId: 'fake', upstreamModel: 'gpt-4o-mini' }], ...options.chatModel },
            { slug: 'embed-model', kind: 'embedding', backends: [{ providerId: 'fake', upstreamModel: 'text-embedding-3-small' }] },
          ],
        },
        ...options.config,
      },
    });
    return {
      t,
      upstream,
      async stop() {
        await t.stop();
        await upstream.close();
      },
    };
  } catch (err) {
    await upstream.close();
    throw err;
  }
}

export function authHeaders(key = MEMBER_KEY): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export interface ParsedSseEvent {
  event?: string;
  data: string;
}

/** Reads a whole SSE body into events (tests only; the gateway never buffers). */
export async function readSse(response: Response): Promise<ParsedSseEvent[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event: ParsedSseEvent = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      event.data = data.join('\n');
      return event;
    });
}
