import { afterEach, describe, expect, it, vi } from 'vitest';
import { fromOpenAIChunk, openAIStreamChunks, type SseEvent } from '../src/index.js';
import { soleTextOf as soleText } from '../src/openai-stream.js';
import { TextChunkTemplate } from '../src/text-chunk-template.js';
import { collect } from '../../../test/fakes/dispatch-call.js';

/** An upstream text event as OpenAI writes it, with `extra` fields after the choices. */
const textEvent = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-x', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], ...extra });

function learned(from: string): TextChunkTemplate {
  const template = new TextChunkTemplate(soleText);
  template.learn(from, soleText(from)!);
  return template;
}

async function* events(...data: string[]): AsyncGenerator<SseEvent> {
  for (const d of data) yield { data: d };
}

afterEach(() => vi.restoreAllMocks());

describe('TextChunkTemplate', () => {
  it('reads the content of an event of the learned shape, escapes as JSON.parse reads them', () => {
    const template = learned(textEvent('Hello'));
    expect(template.match(textEvent(' world'))).toBe(' world');
    for (const content of ['line\nbreak', 'a "quote"', 'back\\slash', 'é and 😀', '\u2028', '\\"', '</script>']) {
      expect(template.match(textEvent(content))).toBe(content);
    }
    // The same characters written as \u escapes, as some servers do.
    expect(template.match(textEvent('x').replace('"x"', '"\\u00e9\\ud83d\\ude00"'))).toBe('é😀');
  });

  it('leaves every other shape to JSON.parse', () => {
    const template = learned(textEvent('Hello'));
    const others = [
      textEvent('Hello', { usage: { prompt_tokens: 1, completion_tokens: 1 } }),
      textEvent('Hello').replace('"finish_reason":null', '"finish_reason":"stop"'),
      textEvent('Hello').replace('chatcmpl-1', 'chatcmpl-2'),
      textEvent(''),
      // A quote inside would close the string early: not one literal.
      textEvent('x').replace('"x"', '"a","refusal":"b"'),
      // An escaped quote followed by more fields: JSON.parse of the literal refuses it.
      textEvent('x').replace('"x"', '"a\\"","refusal":"b"'),
      // A raw control character is invalid JSON: JSON.parse must be the one to refuse it.
      textEvent('x').replace('"x"', '"a\tb"'),
      '[DONE]',
    ];
    for (const data of others) expect(template.match(data)).toBeUndefined();
  });

  it('matches nothing before it has learned, and learns only a position proven to be delta.content', () => {
    expect(new TextChunkTemplate(soleText).match(textEvent('Hello'))).toBeUndefined();
    // The content's literal also stands elsewhere in the event: which one is the content is not worked out.
    expect(learned(textEvent('gpt-x')).match(textEvent('other'))).toBeUndefined();
    // The content is not where a replaced string lands in delta.content (a duplicate key wins).
    const duplicate = textEvent('first').replace('"content":"first"', '"content":"first","content":"second"');
    const template = new TextChunkTemplate(soleText);
    template.learn(duplicate, 'first');
    expect(template.match(duplicate.replace('"first"', '"third"'))).toBeUndefined();
  });

  it('stops learning after three events of a stream whose events never match (OpenAI obfuscation padding)', () => {
    const map = vi.fn(soleText);
    const template = new TextChunkTemplate(map);
    for (let i = 0; i < 10; i++) {
      const data = textEvent(`t${i}`, { obfuscation: 'x'.repeat(i + 1) });
      expect(template.match(data)).toBeUndefined();
      template.learn(data, `t${i}`);
    }
    expect(map).toHaveBeenCalledTimes(3);
  });
});

describe('openAIStreamChunks with the template', () => {
  it('gives exactly what parsing every event gives, for varied streams', async () => {
    const contents = ['Hel', 'lo', ' "wo"', 'rld\n', '\\', 'é', '😀', 'gpt-x', 'a\u0000b', ''];
    const streams: string[][] = [
      contents.map((c) => textEvent(c)),
      contents.map((c, i) => textEvent(c, { obfuscation: 'p'.repeat(i) })),
      [
        JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
        ...contents.map((c) => textEvent(c)),
        JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 't', function: { name: 'f', arguments: '{"a":' } }] }, finish_reason: null }] }),
        textEvent('after a tool call'),
        JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { reasoning_content: 'hmm' }, finish_reason: null }] }),
        textEvent('done', { usage: { prompt_tokens: 2, completion_tokens: 3 } }),
        textEvent('x').replace('"finish_reason":null', '"finish_reason":"length"'),
      ],
    ];
    for (const data of streams) {
      const expected = data.flatMap((d) => fromOpenAIChunk(JSON.parse(d)));
      expect(await collect(openAIStreamChunks(events(...data, '[DONE]')))).toEqual(expected);
    }
  });

  it('parses only the events it cannot read from the template', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const data = Array.from({ length: 20 }, (_, i) => textEvent(`word${i} `));
    const chunks = await collect(openAIStreamChunks(events(...data, '[DONE]')));
    expect(chunks).toHaveLength(20);
    // The first event, and the check of what was learned from it.
    expect(parse).toHaveBeenCalledTimes(2);
  });

  it('still fails an invalid event that looks like the template', async () => {
    const data = [textEvent('ok'), textEvent('x').replace('"x"', '"a\tb"')];
    await expect(collect(openAIStreamChunks(events(...data, '[DONE]'), { label: 'p' }))).rejects.toMatchObject({ kind: 'protocol', message: 'p sent a stream event that is not JSON' });
  });

  it('parses every event of a stream whose provider maps chunks itself', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const data = Array.from({ length: 5 }, (_, i) => textEvent(`w${i}`));
    await collect(openAIStreamChunks(events(...data, '[DONE]'), { mapChunk: (chunks) => chunks }));
    expect(parse).toHaveBeenCalledTimes(5);
  });
});
