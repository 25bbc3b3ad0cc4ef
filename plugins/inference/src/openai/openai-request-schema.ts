/**
 * @module openai/openai-request-schema
 * zod schemas of the OpenAI request bodies the gateway accepts (Chat Completions and
 * Embeddings, https://platform.openai.com/docs/api-reference/chat/create). Optional fields
 * accept `null` because OpenAI's SDKs and many clients send it for "unset". What the
 * gateway cannot honour (n > 1, audio parts) fails here with 400 naming
 * the field, before anything reaches an upstream.
 */
import { z } from 'zod';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).nullish() }),
});
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });

const textContent = z.union([z.string(), z.array(textPart)]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const systemMessage = z.object({ role: z.enum(['system', 'developer']), content: textContent, name: z.string().nullish() });
const userMessage = z.object({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart]))]),
  name: z.string().nullish(),
});
const assistantMessage = z.object({
  role: z.literal('assistant'),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, refusalPart]))]).nullish(),
  tool_calls: z.array(toolCall).nullish(),
  refusal: z.string().nullish(),
  name: z.string().nullish(),
});
const toolMessage = z.object({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) });

export const openAIMessageSchema = z.discriminatedUnion('role', [systemMessage, userMessage, assistantMessage, toolMessage]);

const functionTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().min(1),
      description: z.string().nullish(),
      schema: z.record(z.string(), z.unknown()).nullish(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const positiveInt = z.number().int().min(1);

/** Fields OpenAI defines that the gateway forwards untouched in `extra` for providers that know them. */
export const OPENAI_PASSTHROUGH_FIELDS = [
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'parallel_tool_calls',
  'reasoning_effort',
  'service_tier',
  'metadata',
  'store',
  'prediction',
  'modalities',
] as const;

const chatRequest = z.object({
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  messages: z.array(openAIMessageSchema).min(1, 'messages must hold at least one message'),
  tools: z.array(functionTool).nullish(),
  tool_choice: toolChoice.nullish(),
  response_format: responseFormat.nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().nullish(),
  n: z.literal(1, { error: 'only n=1 is supported' }).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning_effort: z.string().nullish(),
  service_tier: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  store: z.boolean().nullish(),
  prediction: z.record(z.string(), z.unknown()).nullish(),
  modalities: z.array(z.string()).nullish(),
});

// Compiled: parsed on every inference request (see request-validation.ts).
export const openAIChatRequestSchema = z.compile(chatRequest);

export type OpenAIChatRequest = z.output<typeof openAIChatRequestSchema>;
export type OpenAIMessage = z.output<typeof openAIMessageSchema>;

const embeddingRequest = z.object({
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  input: z.union([z.string(), z.array(z.string()).min(1, 'input must not be empty').max(2048)]),
  dimensions: positiveInt.nullish(),
  // The openai SDK asks for base64 unless told otherwise, so both are served.
  encoding_format: z.enum(['float', 'base64'], { error: "encoding_format must be 'float' or 'base64'" }).nullish(),
  user: z.string().nullish(),
});

export const openAIEmbeddingRequestSchema = z.compile(embeddingRequest);

export type OpenAIEmbeddingRequest = z.output<typeof openAIEmbeddingRequestSchema>;
