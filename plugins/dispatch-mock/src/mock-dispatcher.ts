/**
 * @module mock-dispatcher
 * The `mock` provider kind: a deterministic local model with no network and no key, for the
 * quick start and for tests of everything around dispatch. See mock-answer.ts for what it
 * says, mock-tokens.ts for how it counts. Options (provider or backend, backend wins):
 * `latencyMs` waits before answering (honouring the abort signal), `failStatus` makes every
 * call fail with that upstream HTTP status (e.g. 503 to exercise failover).
 */
import {
  abortSignalOf,
  UpstreamError,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
  type DispatchCall,
  type Dispatcher,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type FinishReason,
  type Usage,
} from '@scaigrid/plugin-dispatch';
import { mockAnswer, streamPieces, type MockAnswer } from './mock-answer.js';
import { DEFAULT_DIMENSIONS, mockEmbedding } from './mock-embedding.js';
import { countPromptTokens, countTokens } from './mock-tokens.js';

interface MockOptions {
  latencyMs?: number;
  failStatus?: number;
}

function options(call: DispatchCall): MockOptions {
  const merged = { ...call.target.provider.options, ...call.target.options };
  return {
    latencyMs: typeof merged.latencyMs === 'number' ? merged.latencyMs : undefined,
    failStatus: typeof merged.failStatus === 'number' ? merged.failStatus : undefined,
  };
}

async function behave(call: DispatchCall): Promise<void> {
  const { latencyMs, failStatus } = options(call);
  if (latencyMs) {
    const signal = abortSignalOf(call);
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, latencyMs);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });
  }
  if (failStatus) throw new UpstreamError('http', `Mock upstream answered ${failStatus}`, failStatus, undefined, `mock failure ${failStatus} (failStatus option)`);
}

interface Reply {
  answer: MockAnswer;
  /** The text actually returned (cut at maxTokens). */
  text: string;
  finishReason: FinishReason;
  usage: Usage;
}

function reply(request: ChatRequest): Reply {
  const answer = mockAnswer(request);
  const promptTokens = countPromptTokens(request);
  if (answer.kind === 'tool') {
    return { answer, text: '', finishReason: 'tool_calls', usage: { promptTokens, completionTokens: countTokens(answer.call.name) + countTokens(answer.call.arguments) } };
  }
  let text = answer.text;
  let finishReason: FinishReason = 'stop';
  if (request.maxTokens !== undefined && countTokens(text) > request.maxTokens) {
    text = text.slice(0, request.maxTokens * 4);
    finishReason = 'length';
  }
  return { answer, text, finishReason, usage: { promptTokens, completionTokens: countTokens(text) } };
}

export class MockDispatcher implements Dispatcher {
  readonly kind = 'mock';

  async chat(request: ChatRequest, call: DispatchCall): Promise<ChatResponse> {
    await behave(call);
    const { answer, text, finishReason, usage } = reply(request);
    return {
      id: `mock-${call.requestId}`,
      model: request.model,
      message:
        answer.kind === 'tool'
          ? { role: 'assistant', content: [], toolCalls: [answer.call] }
          : { role: 'assistant', content: [{ type: 'text', text }] },
      finishReason,
      usage,
    };
  }

  async chatStream(request: ChatRequest, call: DispatchCall): Promise<AsyncIterable<ChatChunk>> {
    await behave(call);
    const { answer, text, finishReason, usage } = reply(request);
    const signal = abortSignalOf(call);
    return (async function* () {
      if (answer.kind === 'tool') {
        yield { type: 'tool_call', index: 0, id: answer.call.id, name: answer.call.name, argumentsDelta: '' };
        // Arguments arrive in two deltas, as real providers split them.
        const half = Math.ceil(answer.call.arguments.length / 2);
        for (const delta of [answer.call.arguments.slice(0, half), answer.call.arguments.slice(half)]) {
          if (delta) yield { type: 'tool_call', index: 0, argumentsDelta: delta };
        }
      } else {
        for (const piece of streamPieces(text)) {
          if (signal.aborted) throw signal.reason;
          yield { type: 'text', text: piece };
        }
      }
      yield { type: 'finish', finishReason };
      yield { type: 'usage', usage };
    })();
  }

  async embeddings(request: EmbeddingRequest, call: DispatchCall): Promise<EmbeddingResponse> {
    await behave(call);
    const dimensions = request.dimensions ?? DEFAULT_DIMENSIONS;
    return {
      model: request.model,
      embeddings: request.input.map((text) => mockEmbedding(text, dimensions)),
      usage: { promptTokens: request.input.reduce((sum, text) => sum + countTokens(text), 0), completionTokens: 0 },
    };
  }
}
