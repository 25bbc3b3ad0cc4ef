/**
 * @module fake-qwen
 * A fake Alibaba Cloud Model Studio (DashScope) endpoint in OpenAI-compatible mode on
 * 127.0.0.1 port 0, built on fake-openai.ts and written from "Alibaba Cloud Model Studio —
 * OpenAI compatible — Chat" (`POST /compatible-mode/v1/chat/completions`, Bearer key,
 * `stream_options.include_usage` for a last usage chunk), "— Embedding"
 * (`POST /compatible-mode/v1/embeddings`) and "Deep thinking" (the non-OpenAI
 * `enable_thinking` field; with it, the answer carries `reasoning_content` in the message and
 * in stream deltas before the text). Errors: OpenAI's envelope plus a top-level `request_id`.
 */
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIReply } from './fake-openai.js';

export interface FakeQwenOptions {
  apiKey?: string;
  defaultReply?: FakeOpenAIReply;
}

export async function startFakeQwen(options: FakeQwenOptions = {}): Promise<FakeOpenAI> {
  return startFakeOpenAI({
    basePath: '/compatible-mode/v1',
    apiKey: options.apiKey,
    defaultReply: options.defaultReply,
    reasoningEnabled: (request) => request.body.enable_thinking === true,
    errorBody(error, requestId) {
      const code = error.code ?? (error.status === 429 ? 'limit_requests' : error.status >= 500 ? 'internal_error' : 'invalid_parameter_error');
      return { error: { message: error.message, type: error.status === 429 ? 'limit_requests' : error.type, param: null, code }, request_id: requestId };
    },
  });
}
