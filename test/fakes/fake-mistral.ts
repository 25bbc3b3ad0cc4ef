/**
 * @module fake-mistral
 * A fake Mistral AI API on 127.0.0.1 port 0, built on fake-openai.ts and written from the
 * "Mistral AI API — Chat: Chat Completion" (`POST /v1/chat/completions`) and "Embeddings:
 * Embeddings" (`POST /v1/embeddings`) references and "Function calling": Bearer auth; the
 * request schema forbids extra fields (a 422 `extra_forbidden` for `stream_options`, `seed`,
 * `max_completion_tokens`, `user`...; the seed is `random_seed`); `tool_choice` is
 * `auto | none | any | required`; tool-call ids are 9 characters of a-z, A-Z, 0-9 (others are
 * rejected with a 400) and the ones it makes are such; a stream carries `usage` on its last
 * (finish) chunk without being asked. Errors: `{ object: 'error', message, type, param, code }`,
 * 401 and 429 as `{ message, request_id }`.
 */
import { randomId } from './fake-http.js';
import { startFakeOpenAI, type FakeEndpoint, type FakeOpenAI, type FakeOpenAIError, type FakeOpenAIReply } from './fake-openai.js';
import type { RecordedRequest } from './fake-http.js';

const CHAT_FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'response_format', 'tools', 'tool_choice',
  'presence_penalty', 'frequency_penalty', 'n', 'prediction', 'parallel_tool_calls', 'prompt_mode', 'safe_prompt',
]);
const EMBEDDING_FIELDS = new Set(['model', 'input', 'output_dimension', 'output_dtype', 'encoding_format']);
const TOOL_CHOICES = new Set(['auto', 'none', 'any', 'required']);
const TOOL_CALL_ID = /^[a-zA-Z0-9]{9}$/;

export interface FakeMistralOptions {
  apiKey?: string;
  defaultReply?: FakeOpenAIReply;
}

export async function startFakeMistral(options: FakeMistralOptions = {}): Promise<FakeOpenAI> {
  return startFakeOpenAI({
    defaultReply: options.defaultReply,
    streamUsage: 'with-finish',
    toolCallId: () => randomId(9),
    checkAuth: (request) =>
      options.apiKey === undefined || request.headers.authorization === `Bearer ${options.apiKey}` ? undefined : { status: 401, message: 'Unauthorized' },
    checkRequest: mistralRules,
    errorBody(error, requestId) {
      if (error.status === 401 || error.status === 429) return { message: error.status === 429 ? 'Requests rate limit exceeded' : error.message, request_id: requestId };
      return { object: 'error', message: error.message, type: error.type, param: null, code: error.code ?? null };
    },
  });
}

function mistralRules(request: RecordedRequest, endpoint: FakeEndpoint): FakeOpenAIError | undefined {
  const body = request.body as Record<string, unknown>;
  const allowed = endpoint === 'chat' ? CHAT_FIELDS : EMBEDDING_FIELDS;
  const extra = Object.keys(body).filter((field) => !allowed.has(field));
  if (extra.length > 0) {
    const detail = extra.map((field) => ({ type: 'extra_forbidden', loc: ['body', field], msg: 'Extra inputs are not permitted', input: body[field] }));
    return { status: 422, message: { detail } as unknown as string, type: 'invalid_request_error' };
  }
  if (endpoint !== 'chat') return undefined;
  if (typeof body.tool_choice === 'string' && !TOOL_CHOICES.has(body.tool_choice)) {
    return { status: 422, message: `tool_choice: Input should be 'auto', 'none', 'any' or 'required'`, type: 'invalid_request_error' };
  }
  for (const message of body.messages as Array<Record<string, any>>) {
    const ids = [...(message.tool_calls ?? []).map((call: { id: string }) => call.id), ...(message.role === 'tool' ? [message.tool_call_id] : [])];
    const bad = ids.find((id) => !TOOL_CALL_ID.test(String(id)));
    if (bad !== undefined) return { status: 400, message: `Tool call id was ${bad} but must be a-z, A-Z, 0-9, with a length of 9.`, type: 'invalid_request_error' };
  }
  return undefined;
}
