import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicCountTokensRequestSchema, anthropicMessagesRequestSchema } from '../src/anthropic/anthropic-request-schema.js';
import { nativeChatRequestSchema } from '../src/native/native-schema.js';
import { openAIChatRequestSchema, openAIEmbeddingRequestSchema } from '../src/openai/openai-request-schema.js';

const requestSchemas = {
  openAIChatRequestSchema,
  openAIEmbeddingRequestSchema,
  nativeChatRequestSchema,
  anthropicMessagesRequestSchema,
  anthropicCountTokensRequestSchema,
};

/** What zod's `z.compile` leaves on a schema: the generated validator and the parser it falls back to. */
function isCompiled(schema: z.ZodType): boolean {
  const bag = (schema as unknown as { _zod: { bag: Record<string, unknown> } })._zod.bag;
  return typeof bag.validator === 'function' && typeof bag.fallbackRun === 'function';
}

describe('request schemas on the hot path', () => {
  // A schema derived from a compiled one (`.extend()`, `.strict()`…) is not compiled itself, so an
  // edit that wraps one of these would quietly put every request back on the slow parser.
  it.each(Object.entries(requestSchemas))('%s is compiled', (_name, schema) => {
    expect(isCompiled(schema)).toBe(true);
  });

  it('a plain object schema is not, so the check above can fail', () => {
    expect(isCompiled(z.object({ model: z.string() }))).toBe(false);
  });

  it('a compiled schema gives the same output and the same issues as zod’s ordinary parser', () => {
    const plain = z.object({ model: z.string().min(1), temperature: z.number().min(0).max(2).nullish(), n: z.literal(1).nullish() });
    const compiled = z.compile(plain);
    const bodies = [
      { model: 'm', temperature: 0.5 },
      { model: 'm', temperature: null, extra: 'dropped' },
      { model: '', temperature: 3 },
      { model: 'm', n: 2 },
      { temperature: 'hot' },
      'not an object',
    ];
    for (const body of bodies) expect(compiled.safeParse(body)).toEqual(plain.safeParse(body));
  });

  it('the OpenAI chat schema accepts a typical body unchanged and names the field of a bad one', () => {
    const body = {
      model: 'gpt-x',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
      max_tokens: 64,
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
    };
    expect(openAIChatRequestSchema.parse(body)).toEqual(body);
    const bad = openAIChatRequestSchema.safeParse({ ...body, messages: [{ role: 'user', content: 3 }] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['messages', 0, 'content']);
  });
});
