/**
 * @module e2e/support/sdk-gateway
 * The gateway the SDK suites (`openai-sdk`, `anthropic-sdk`) talk to: the real request path
 * (auth → routing → inference → dispatch → provider dispatchers) over fake OpenAI, Anthropic
 * and Gemini upstreams, with a member key (models:use), a guest key (no permissions), the
 * models `via-openai`, `via-anthropic`, `via-gemini` and `embed`, and two hook modules: a
 * budget stand-in that refuses end user `broke` before any upstream call, and a recorder of
 * every settled request, so a suite can show its API went through the same hooks as the others.
 */
import { defineModule, GatewayError, type Module } from '@scaigrid/kernel';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule from '@scaigrid/plugin-dispatch';
import dispatchAnthropicModule from '@scaigrid/plugin-dispatch-anthropic';
import dispatchGoogleModule from '@scaigrid/plugin-dispatch-google';
import dispatchOpenAIModule from '@scaigrid/plugin-dispatch-openai';
import inferenceModule, { inferenceHooksRef, type InferenceContext } from '@scaigrid/plugin-inference';
import routingModule from '@scaigrid/plugin-routing';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import { startFakeAnthropic, type FakeAnthropic } from '../../fakes/fake-anthropic.js';
import { startFakeGoogle, type FakeGoogle } from '../../fakes/fake-google.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../fakes/fake-openai.js';

export const MEMBER_KEY = 'sgk_e2eSdkMemberKey00000000000000000000000000';
export const GUEST_KEY = 'sgk_e2eSdkGuestKey000000000000000000000000000';
process.env.E2E_SDK_MEMBER_KEY = MEMBER_KEY;
process.env.E2E_SDK_GUEST_KEY = GUEST_KEY;
process.env.E2E_SDK_OPENAI_UPSTREAM_KEY = 'sk-upstream-openai';
process.env.E2E_SDK_ANTHROPIC_UPSTREAM_KEY = 'sk-ant-upstream';
process.env.E2E_SDK_GOOGLE_UPSTREAM_KEY = 'g-upstream-key';

/** What the recorder saw of one settled request. */
export interface SeenRequest {
  api: string;
  model: string;
  stream: boolean;
  outcome: 'response' | 'error';
  errorCode?: string;
  usage?: InferenceContext['usage'];
}

/** Stands in for accounting: refuses requests from end user `broke`, and records every settled request. */
function hookModules(seen: SeenRequest[]): Module {
  const record = (ctx: InferenceContext, outcome: SeenRequest['outcome'], errorCode?: string) =>
    void seen.push({ api: ctx.api, model: ctx.route.slug, stream: ctx.stream, outcome, errorCode, usage: ctx.usage && { ...ctx.usage } });
  return defineModule({
    id: 'e2e-budget',
    version: '0.0.0',
    dependsOn: ['inference'],
    setup(ctx) {
      ctx.use(inferenceHooksRef).register({
        name: 'e2e-budget',
        beforeDispatch(c) {
          if (c.kind === 'chat' && c.request.user === 'broke') throw new GatewayError('BUDGET_EXCEEDED', 'Monthly budget of tenant acme is spent.');
        },
        afterResponse: (c) => record(c, 'response'),
        onError: (c, error) => record(c, 'error', error.code),
      });
    },
  });
}

export interface SdkGatewayOptions {
  /** More modules (e.g. ratelimit, another dispatcher). */
  modules?: Module[];
  /** More seeded tenants and keys (auth.seed). */
  tenants?: Record<string, unknown>[];
  keys?: Record<string, unknown>[];
  /** More providers and models. */
  providers?: Record<string, unknown>[];
  models?: Record<string, unknown>[];
  /** Config sections of the extra modules. */
  config?: Record<string, unknown>;
}

export interface SdkGateway {
  t: TestKernel;
  fakeOpenAI: FakeOpenAI;
  fakeAnthropic: FakeAnthropic;
  fakeGoogle: FakeGoogle;
  /** Requests settled through the inference hooks, oldest first. */
  seen: SeenRequest[];
  stop(): Promise<void>;
}

export async function startSdkGateway(options: SdkGatewayOptions = {}): Promise<SdkGateway> {
  const fakeOpenAI = await startFakeOpenAI({ apiKey: 'sk-upstream-openai' });
  const fakeAnthropic = await startFakeAnthropic({ apiKey: 'sk-ant-upstream' });
  const fakeGoogle = await startFakeGoogle({ apiKey: 'g-upstream-key' });
  const closeFakes = () => Promise.all([fakeOpenAI.close(), fakeAnthropic.close(), fakeGoogle.close()]);
  const seen: SeenRequest[] = [];
  try {
    const t = await startTestKernel({
      modules: [authModule, routingModule, dispatchModule, dispatchOpenAIModule, dispatchAnthropicModule, dispatchGoogleModule, inferenceModule, hookModules(seen), ...(options.modules ?? [])],
      config: {
        auth: {
          bootstrap: { enabled: false },
          roles: { guest: [] },
          seed: {
            tenants: [{ slug: 'acme' }, ...(options.tenants ?? [])],
            keys: [
              { name: 'member', tenant: 'acme', roles: ['member'], secretEnv: 'E2E_SDK_MEMBER_KEY' },
              { name: 'guest', tenant: 'acme', roles: ['guest'], secretEnv: 'E2E_SDK_GUEST_KEY' },
              ...(options.keys ?? []),
            ],
          },
        },
        dispatch: {
          providers: [
            { id: 'oai', kind: 'openai', baseUrl: fakeOpenAI.url, apiKeyEnv: 'E2E_SDK_OPENAI_UPSTREAM_KEY', timeoutMs: 5000 },
            { id: 'ant', kind: 'anthropic', baseUrl: fakeAnthropic.url, apiKeyEnv: 'E2E_SDK_ANTHROPIC_UPSTREAM_KEY', timeoutMs: 5000 },
            { id: 'gem', kind: 'google', baseUrl: fakeGoogle.url, apiKeyEnv: 'E2E_SDK_GOOGLE_UPSTREAM_KEY', timeoutMs: 5000 },
            ...(options.providers ?? []),
          ],
        },
        routing: {
          models: [
            { slug: 'via-openai', backends: [{ providerId: 'oai', upstreamModel: 'gpt-4o-mini' }] },
            { slug: 'via-anthropic', backends: [{ providerId: 'ant', upstreamModel: 'claude-sonnet-4-5' }] },
            { slug: 'via-gemini', backends: [{ providerId: 'gem', upstreamModel: 'gemini-2.5-flash' }] },
            { slug: 'embed', kind: 'embedding', backends: [{ providerId: 'oai', upstreamModel: 'text-embedding-3-small' }] },
            ...(options.models ?? []),
          ],
        },
        ...options.config,
      },
    });
    return {
      t,
      fakeOpenAI,
      fakeAnthropic,
      fakeGoogle,
      seen,
      async stop() {
        await t.stop();
        await closeFakes();
      },
    };
  } catch (err) {
    await closeFakes();
    throw err;
  }
}

/** One way of serving a model, for suites that run the same client code over every provider. */
export interface SdkBackend {
  slug: string;
  /** Upstream SSE events before the cut: past the preamble, so some text has reached the client. */
  dropAfter: number;
  upstreamModel: string;
  upstreamRequests(): { path: string; body: any }[];
  /** The upstream model id of the latest upstream request (Gemini puts it in the path, not the body). */
  lastUpstreamModel(): string;
  /** How the upstream ties a tool result to its call: by call id, or by function name (Gemini). */
  toolResultsBy: 'id' | 'name';
  /** The tool result in the latest upstream request: the call id or function name it answers, and the parsed result. */
  lastToolResult(): { ref: string; result: unknown } | undefined;
  /** Scripts a text answer reported as 9 prompt and 5 completion tokens. */
  scriptText(text: string, extra?: Record<string, unknown>): void;
  scriptTool(name: string, args: Record<string, unknown>): void;
}

/** The backends of the gateway `gw()` returns (read lazily: the fakes start in beforeAll). */
export function sdkBackends(gw: () => SdkGateway): SdkBackend[] {
  return [
    {
      slug: 'via-openai',
      dropAfter: 4,
      upstreamModel: 'gpt-4o-mini',
      upstreamRequests: () => gw().fakeOpenAI.requests,
      lastUpstreamModel: () => gw().fakeOpenAI.requests.at(-1)!.body.model,
      toolResultsBy: 'id',
      lastToolResult: () => {
        const message = last(gw().fakeOpenAI.requests.at(-1)!.body.messages, (m) => m.role === 'tool');
        return message && { ref: message.tool_call_id, result: JSON.parse(message.content) };
      },
      scriptText: (text, extra = {}) => gw().fakeOpenAI.script({ text, usage: { prompt_tokens: 9, completion_tokens: 5 }, ...extra }),
      scriptTool: (name, args) => gw().fakeOpenAI.script({ toolCalls: [{ name, arguments: args }] }),
    },
    {
      slug: 'via-anthropic',
      // message_start, content_block_start, then text deltas.
      dropAfter: 5,
      upstreamModel: 'claude-sonnet-4-5',
      upstreamRequests: () => gw().fakeAnthropic.requests,
      lastUpstreamModel: () => gw().fakeAnthropic.requests.at(-1)!.body.model,
      toolResultsBy: 'id',
      lastToolResult: () => {
        const blocks = (gw().fakeAnthropic.requests.at(-1)!.body.messages as any[]).flatMap((m) => (Array.isArray(m.content) ? m.content : []));
        const block = last(blocks, (b) => b.type === 'tool_result');
        return block && { ref: block.tool_use_id, result: JSON.parse(block.content) };
      },
      scriptText: (text, extra = {}) => gw().fakeAnthropic.script({ text, usage: { input_tokens: 9, output_tokens: 5 }, ...extra }),
      scriptTool: (name, input) => gw().fakeAnthropic.script({ toolCalls: [{ name, input }] }),
    },
    {
      slug: 'via-gemini',
      // One event per word: after two, some text has reached the client.
      dropAfter: 2,
      upstreamModel: 'gemini-2.5-flash',
      upstreamRequests: () => gw().fakeGoogle.requests,
      lastUpstreamModel: () => /\/models\/([^/:]+):/.exec(gw().fakeGoogle.requests.at(-1)!.path)![1]!,
      toolResultsBy: 'name',
      lastToolResult: () => {
        const parts = (gw().fakeGoogle.requests.at(-1)!.body.contents as any[]).flatMap((c) => c.parts);
        const part = last(parts, (p) => p.functionResponse !== undefined);
        return part && { ref: part.functionResponse.name, result: part.functionResponse.response };
      },
      scriptText: (text, extra = {}) => gw().fakeGoogle.script({ text, usage: { promptTokenCount: 9, candidatesTokenCount: 5 }, ...extra }),
      scriptTool: (name, args) => gw().fakeGoogle.script({ functionCalls: [{ name, args }] }),
    },
  ];
}

function last(items: any[], match: (item: any) => boolean): any {
  return [...items].reverse().find(match);
}
