/**
 * The pure mappers, without HTTP: JSON Schema → the Gemini API's Schema subset (Gemini API
 * reference — "Schema"), usage and finish reasons ("models.generateContent": UsageMetadata,
 * FinishReason), and stream edge cases ("models.streamGenerateContent").
 */
import { describe, expect, it } from 'vitest';
import { UpstreamError, type ChatChunk } from '@scaigrid/plugin-dispatch';
import { collect } from '../../../test/fakes/dispatch-call.js';
import { fromGeminiResponse, fromGeminiUsage, geminiStreamChunks, toGeminiBody, toGeminiSchema, type GeminiGenerateContentResponse } from '../src/index.js';

async function* sse(...events: unknown[]) {
  for (const event of events) yield { data: typeof event === 'string' ? event : JSON.stringify(event), event: undefined, id: undefined };
}

describe('Gemini API reference — Schema: toGeminiSchema', () => {
  it('drops keywords outside the subset and rewrites nullable types, oneOf, const and local $refs', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      $defs: { Unit: { type: 'string', enum: ['c', 'f'], description: 'Unit' } },
      properties: {
        city: { type: 'string', minLength: 1, examples: ['Bern'] },
        unit: { $ref: '#/$defs/Unit' },
        days: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }], description: 'How many' },
        mode: { const: 'fast' },
        tags: { type: 'array', items: { type: ['string', 'null'] }, uniqueItems: true },
        either: { oneOf: [{ type: 'string' }, { type: 'number' }] },
      },
      required: ['city', 'missing'],
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        unit: { type: 'string', enum: ['c', 'f'], description: 'Unit' },
        days: { type: 'integer', minimum: 1, nullable: true, description: 'How many' },
        mode: { enum: ['fast'] },
        tags: { type: 'array', items: { type: 'string', nullable: true } },
        either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      },
      required: ['city'],
    });
  });

  it('cuts recursive $refs off instead of looping', () => {
    const schema = { $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } }, $ref: '#/$defs/Node' };
    const out = toGeminiSchema(schema);
    let depth = 0;
    for (let node: any = out; node?.properties?.child; node = node.properties.child) depth++;
    expect(depth).toBeGreaterThan(3);
    expect(depth).toBeLessThan(12);
  });

  it('a tool without arguments gets no parameters (an empty OBJECT is rejected by the API)', () => {
    const body = toGeminiBody({ model: 'g', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], tools: [{ name: 'now', parameters: { type: 'object', properties: {} } }] });
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'now' }] }]);
  });

  it('maps reasoning_effort to a thinking budget and frequency/presence penalties into generationConfig', () => {
    const body = toGeminiBody({ model: 'g', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], extra: { reasoning_effort: 'low', frequency_penalty: 0.5, presence_penalty: 0.2, store: true } });
    expect(body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024 }, frequencyPenalty: 0.5, presencePenalty: 0.2 });
    expect(body).not.toHaveProperty('store');
  });
});

describe('Gemini API reference — models.generateContent: usage and ids', () => {
  it('counts thoughts as completion tokens and cached content as cached prompt tokens', () => {
    expect(fromGeminiUsage({ promptTokenCount: 100, candidatesTokenCount: 20, thoughtsTokenCount: 30, cachedContentTokenCount: 64, totalTokenCount: 150 })).toEqual({
      promptTokens: 100,
      completionTokens: 50,
      cachedPromptTokens: 64,
      reasoningTokens: 30,
    });
  });

  it('gives the same synthesized call ids whole and streamed for the same response', async () => {
    const raw: GeminiGenerateContentResponse = {
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } } }, { functionCall: { name: 'f', args: { a: 2 } } }] }, finishReason: 'STOP' }],
      responseId: 'resp-1',
    };
    const whole = fromGeminiResponse(raw, 'g').message.toolCalls!.map((c) => c.id);
    const streamed = (await collect(geminiStreamChunks(sse(raw)))).flatMap((c) => (c.type === 'tool_call' ? [c.id] : []));
    expect(streamed).toEqual(whole);
    expect(new Set(whole).size).toBe(2);
  });

  it('an answer with neither candidates nor a block reason is a protocol error', () => {
    expect(() => fromGeminiResponse({ usageMetadata: { promptTokenCount: 1 } }, 'g')).toThrow(UpstreamError);
  });
});

describe('Gemini API reference — models.streamGenerateContent: edge cases', () => {
  const textEvent = (text: string, finishReason?: string) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) }] });

  it('usage comes from the last event that carries it, after the finish', async () => {
    const chunks = await collect(
      geminiStreamChunks(
        sse({ ...textEvent('a'), usageMetadata: { promptTokenCount: 5 } }, { ...textEvent('b', 'MAX_TOKENS'), usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2 } }),
      ),
    );
    expect(chunks).toEqual<ChatChunk[]>([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'finish', finishReason: 'length' },
      { type: 'usage', usage: { promptTokens: 5, completionTokens: 2 } },
    ]);
  });

  it('an error object inside the stream throws with its status; RESOURCE_EXHAUSTED is retryable', async () => {
    const err = await collect(geminiStreamChunks(sse(textEvent('a'), { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } }))).catch((e) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, upstreamMessage: 'Quota exceeded' });
  });

  it('a body that ends without a finishReason, or sends non-JSON, is a protocol error', async () => {
    await expect(collect(geminiStreamChunks(sse(textEvent('a'))))).rejects.toMatchObject({ kind: 'protocol' });
    await expect(collect(geminiStreamChunks(sse('not json')))).rejects.toMatchObject({ kind: 'protocol' });
  });
});
