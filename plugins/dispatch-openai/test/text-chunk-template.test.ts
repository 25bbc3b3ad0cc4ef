/**
 * Text deltas read through the learned template must come out exactly as parsing each event
 * whole would make them, for any text and whatever the upstream varies.
 */
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '@scaigrid/plugin-dispatch';
import { fromOpenAIChunk, openAIStreamChunkBatches, type SseEvent } from '../src/index.js';
import { TextChunkTemplate } from '../src/text-chunk-template.js';

/** A chunk as an OpenAI-compatible server writes it; `content` is raw JSON text for the content slot. */
const chunk = (content: string, id = 'chatcmpl-1', extra = '') =>
  `{"id":"${id}","object":"chat.completion.chunk","created":1764300000,"model":"gpt-4o-mini"${extra},"choices":[{"index":0,"delta":{"content":${content}},"finish_reason":null}]}`;
const finish = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764300000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';
const usage = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1764300000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}';

const TRICKY = ['', 'plain', 'a "quoted" word', 'back\\slash\\', '"content":"not this"', '\u2028\u2029', '🦊 fox', '\u0000nul', '\\u00e9 literally', '}]}', ' ', 'é'];

/** What parsing every event whole gives: the reference the template must match. */
function wholeParse(data: readonly string[]): ChatChunk[] {
  return data.filter((d) => d !== '[DONE]').flatMap((d) => fromOpenAIChunk(JSON.parse(d)));
}

async function viaStream(data: readonly string[]): Promise<ChatChunk[]> {
  async function* events(): AsyncGenerator<SseEvent[]> {
    yield data.map((d) => ({ data: d }));
  }
  const out: ChatChunk[] = [];
  for await (const batch of openAIStreamChunkBatches(events())) out.push(...batch);
  return out;
}

describe('TextChunkTemplate', () => {
  it('reads the text of events that share the learned shape, escapes included, without the whole parse', () => {
    const template = new TextChunkTemplate(fromOpenAIChunk);
    const first = chunk('"Hello"');
    expect(template.textOf(first)).toBeUndefined();
    template.learn(first, fromOpenAIChunk(JSON.parse(first)));
    for (const text of TRICKY) expect(template.textOf(chunk(JSON.stringify(text)))).toBe(text);
    // An upstream may escape what JSON.stringify would not.
    expect(template.textOf(chunk('"caf\\u00e9 \\/ \\ud83e\\udd8a"'))).toBe('café / 🦊');
  });

  it('leaves to the whole parse every event that is not the template around one string', () => {
    const template = new TextChunkTemplate(fromOpenAIChunk);
    const first = chunk('"Hello"');
    template.learn(first, fromOpenAIChunk(JSON.parse(first)));
    for (const other of [
      finish,
      usage,
      chunk('"x"', 'chatcmpl-2'),
      chunk('"x"', 'chatcmpl-1', ',"obfuscation":"ab"'),
      chunk('null'),
      chunk('42'),
      chunk('"a","refusal":"b"'),
      chunk('"unterminated'),
    ]) {
      expect(template.textOf(other)).toBeUndefined();
    }
  });

  it('learns only from a plain text delta whose content slot checks out', () => {
    const both = '{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"think","content":"say"},"finish_reason":null}]}';
    const template = new TextChunkTemplate(fromOpenAIChunk);
    template.learn(both, fromOpenAIChunk(JSON.parse(both)));
    expect(template.textOf(both)).toBeUndefined();

    // Content in the second choice is not what the gateway reads (first choice only).
    const second = '{"id":"c","choices":[{"index":0,"delta":{}},{"index":1,"delta":{"content":"x"}}]}';
    const fooled = new TextChunkTemplate(fromOpenAIChunk);
    // As if a provider's mapping had made a text chunk of it: the probe parse still says no.
    fooled.learn(second, [{ type: 'text', text: 'x' }]);
    expect(fooled.textOf(second)).toBeUndefined();

    // A space after the key is part of the template.
    const spaced = '{"id":"c", "choices": [{"index": 0, "delta": {"content": "hi"}}]}';
    const lenient = new TextChunkTemplate(fromOpenAIChunk);
    lenient.learn(spaced, fromOpenAIChunk(JSON.parse(spaced)));
    expect(lenient.textOf(spaced.replace('"hi"', '"there"'))).toBe('there');
  });
});

describe('openAIStreamChunkBatches with the template', () => {
  it('gives exactly what parsing each event whole gives', async () => {
    const data = [
      chunk('""'),
      chunk('"Hel"'),
      ...TRICKY.map((t) => chunk(JSON.stringify(t))),
      chunk('"a","refusal":"b"'),
      chunk('"x"', 'chatcmpl-1', ',"obfuscation":"pad"'),
      chunk('"caf\\u00e9"'),
      finish,
      usage,
      '[DONE]',
    ];
    expect(await viaStream(data)).toEqual(wholeParse(data));
  });
});
