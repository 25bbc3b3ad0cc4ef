/**
 * @module native/native-schema
 * The native chat API (`POST /v1/inference/chat`): the internal model in snake_case JSON,
 * so a native client sees exactly what the gateway works with — content blocks, tool calls
 * with JSON-string arguments, one finish reason, usage — and nothing provider-specific.
 */
import { z } from 'zod';

const block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image'), url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
]);

const toolCall = z.object({ id: z.string().min(1), name: z.string().min(1), arguments: z.string() });

export const nativeMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(block)]),
  tool_calls: z.array(toolCall).optional(),
  tool_call_id: z.string().min(1).optional(),
  name: z.string().optional(),
});

const chatRequest = z
  .object({
    model: z.string({ error: 'model is required' }).min(1, 'model is required'),
    messages: z.array(nativeMessageSchema).min(1, 'messages must hold at least one message'),
    tools: z
      .array(
        z.object({
          name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().optional(),
        }),
      )
      .optional(),
    tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string().min(1) })]).optional(),
    response_format: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({ type: z.literal('json_schema'), name: z.string().min(1), schema: z.record(z.string(), z.unknown()), strict: z.boolean().optional() }),
      ])
      .optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().min(1).optional(),
    stop: z.union([z.string(), z.array(z.string()).max(16)]).optional(),
    seed: z.number().int().optional(),
    user: z.string().optional(),
    stream: z.boolean().optional(),
    /** Provider-specific fields passed through untouched. */
    extra: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

// Compiled: parsed on every inference request (see request-validation.ts).
export const nativeChatRequestSchema = z.compile(chatRequest);

export type NativeChatRequest = z.output<typeof nativeChatRequestSchema>;
