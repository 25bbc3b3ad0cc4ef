/**
 * @module text-chunk-template
 * Most events of an OpenAI-compatible stream are text deltas that differ only in their text:
 * `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"…"},"finish_reason":null}]}`.
 * Parsing each one whole builds that object graph twenty times a stream only to read one
 * string out of it. The template is the text before and after the content string, learned from
 * the first text event parsed whole; an event with the same text around one JSON string is then
 * read by parsing that string alone. Anything else (another shape, a finish or usage event, an
 * upstream that varies a field per event) is parsed whole as before.
 *
 * Exact by construction: the learned template is checked once by parsing it around a probe
 * string, which must come out as exactly one text chunk holding the probe. Putting another
 * string literal in the same place cannot change how the rest parses.
 */
import type { ChatChunk } from '@scaigrid/plugin-dispatch';
import type { OpenAIChatCompletionChunk } from './openai-wire.js';

const CONTENT_KEY = '"content":';
const QUOTE = 34;
const BACKSLASH = 92;
/** Events parsed whole before giving up on learning (an upstream whose events never repeat a shape). */
const MAX_ATTEMPTS = 3;
const PROBE = '\u0001probe "\\\u2028';

export class TextChunkTemplate {
  private prefix: string | undefined;
  private suffix = '';
  private attempts = 0;

  constructor(private readonly normalize: (raw: OpenAIChatCompletionChunk) => ChatChunk[]) {}

  /** The event's text when `data` is the template around one JSON string, else undefined (parse it whole). */
  textOf(data: string): string | undefined {
    const { prefix, suffix } = this;
    if (prefix === undefined || data.length < prefix.length + suffix.length + 2) return undefined;
    if (!data.startsWith(prefix) || !data.endsWith(suffix)) return undefined;
    let text: unknown;
    try {
      text = JSON.parse(data.slice(prefix.length, data.length - suffix.length));
    } catch {
      return undefined;
    }
    return typeof text === 'string' ? text : undefined;
  }

  /** Learns the template from an event that was parsed whole into `chunks`, if it is a plain text delta. */
  learn(data: string, chunks: readonly ChatChunk[]): void {
    if (this.prefix !== undefined || this.attempts >= MAX_ATTEMPTS) return;
    if (chunks.length !== 1 || chunks[0]!.type !== 'text') return;
    this.attempts++;
    const key = data.indexOf(CONTENT_KEY);
    if (key === -1) return;
    let start = key + CONTENT_KEY.length;
    while (data.charCodeAt(start) === 32) start++;
    if (data.charCodeAt(start) !== QUOTE) return;
    let end = start + 1;
    for (; end < data.length; end++) {
      const c = data.charCodeAt(end);
      if (c === BACKSLASH) end++;
      else if (c === QUOTE) break;
    }
    if (end >= data.length) return;
    const prefix = data.slice(0, start);
    const suffix = data.slice(end + 1);
    if (!this.checks(prefix, suffix)) return;
    this.prefix = prefix;
    this.suffix = suffix;
  }

  private checks(prefix: string, suffix: string): boolean {
    try {
      const probed = this.normalize(JSON.parse(`${prefix}${JSON.stringify(PROBE)}${suffix}`) as OpenAIChatCompletionChunk);
      const only = probed[0];
      return probed.length === 1 && only?.type === 'text' && only.text === PROBE;
    } catch {
      return false;
    }
  }
}
