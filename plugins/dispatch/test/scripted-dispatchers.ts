/**
 * @module scripted-dispatchers
 * A test-only module registering two fake dispatcher kinds whose behaviour each test sets,
 * and which count their calls — so failover and breaker tests can assert who was called.
 */
import { defineModule } from '@scaigrid/kernel';
import {
  dispatcherRegistryRef,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
  type DispatchCall,
  type Dispatcher,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from '../src/index.js';

export type Behaviour = (request: ChatRequest, call: DispatchCall) => Promise<ChatResponse>;
export type StreamBehaviour = (request: ChatRequest, call: DispatchCall) => Promise<AsyncIterable<ChatChunk>>;

export class ScriptedDispatcher implements Dispatcher {
  calls: { request: ChatRequest | EmbeddingRequest; call: DispatchCall }[] = [];
  chatBehaviour: Behaviour = async (request) => answer(`${this.kind} says hi`, request.model);
  streamBehaviour: StreamBehaviour = async () => chunks(['a', 'b']);

  constructor(readonly kind: string) {}

  chat(request: ChatRequest, call: DispatchCall): Promise<ChatResponse> {
    this.calls.push({ request, call });
    return this.chatBehaviour(request, call);
  }

  chatStream(request: ChatRequest, call: DispatchCall): Promise<AsyncIterable<ChatChunk>> {
    this.calls.push({ request, call });
    return this.streamBehaviour(request, call);
  }

  async embeddings(request: EmbeddingRequest, call: DispatchCall): Promise<EmbeddingResponse> {
    this.calls.push({ request, call });
    return { model: request.model, embeddings: request.input.map(() => [this.kind.length]) };
  }

  reset(): void {
    this.calls = [];
    this.chatBehaviour = async (request) => answer(`${this.kind} says hi`, request.model);
    this.streamBehaviour = async () => chunks(['a', 'b']);
  }
}

export function answer(text: string, model: string): ChatResponse {
  return { model, message: { role: 'assistant', content: [{ type: 'text', text }] }, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
}

export async function* chunks(texts: string[], failAfter?: Error): AsyncIterable<ChatChunk> {
  for (const text of texts) yield { type: 'text', text };
  if (failAfter) throw failAfter;
  yield { type: 'finish', finishReason: 'stop' };
}

/** Never settles unless the call's signal aborts — like an upstream that hangs. */
export function hang<T>(call: DispatchCall, honourSignal = true): Promise<T> {
  return new Promise<T>((_, reject) => {
    if (honourSignal) call.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
  });
}

export const one = new ScriptedDispatcher('fake-one');
export const two = new ScriptedDispatcher('fake-two');

export const scriptedModule = defineModule({
  id: 'scripted',
  version: '0.0.0',
  dependsOn: ['dispatch'],
  setup(ctx) {
    const registry = ctx.use(dispatcherRegistryRef);
    registry.register(one);
    registry.register(two);
  },
});
