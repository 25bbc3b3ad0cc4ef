/**
 * @module text-chunk-template
 * Reads a streamed text chunk without parsing its whole event. Within one stream an upstream
 * sends the same `chat.completion.chunk` JSON again and again with only `delta.content`
 * changing (same id, model, created, `finish_reason: null`). Once one such event has been
 * parsed, the text around its content string is the stream's template: an event that is that
 * text around another JSON string literal has that string as its content, and maps to one text
 * chunk, as JSON.parse and `fromOpenAIChunk` would have mapped it. In the benchmark's streams
 * JSON.parse of each event was the largest single cost of a streamed request in the gateway
 * (11 % of its CPU; ~1.5 µs per 190-byte event on the bench machine, against ~0.1 µs here).
 *
 * Hand-written because it is not a parser: it only recognizes, by exact text, an event it has
 * seen the shape of, and sends everything else (other shapes, escapes it cannot vouch for) to
 * JSON.parse. An upstream whose events never match (OpenAI's `obfuscation` padding varies
 * per event) stops being learned from after a few tries, so it costs little over plain parsing.
 */

/** Events offered to `learn` per stream before giving up on a stream whose events never match. */
const MAX_TRIES = 3;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** JSON forbids raw control characters in a string; JSON.parse must be the one to refuse them. */
const FIRST_PRINTABLE = 0x20;

export class TextChunkTemplate {
  private before: string | undefined;
  private after = '';
  private tries = 0;

  /** @param soleTextOf the stream's own mapping of an event's data: its text when it maps to exactly one text chunk, else undefined. */
  constructor(private readonly soleTextOf: (data: string) => string | undefined) {}

  /**
   * The text chunk's content when `data` is the learned event with another non-empty content
   * string; undefined when it is not (then parse it and offer it to `learn`).
   */
  match(data: string): string | undefined {
    const before = this.before;
    if (before === undefined) return undefined;
    const end = data.length - this.after.length;
    if (end - before.length < 3 || !data.startsWith(before) || !data.endsWith(this.after)) return undefined;
    if (data.charCodeAt(before.length) !== QUOTE || data.charCodeAt(end - 1) !== QUOTE) return undefined;
    for (let i = before.length + 1; i < end - 1; i++) {
      const code = data.charCodeAt(i);
      // An escape is JSON.parse's to read; a quote would end the string early (another shape).
      if (code === BACKSLASH) return escapedString(data.slice(before.length, end));
      if (code === QUOTE || code < FIRST_PRINTABLE) return undefined;
    }
    return data.slice(before.length + 1, end - 1);
  }

  /**
   * Learns the template from an event that the stream's mapping turned into exactly one text
   * chunk of `text`. Kept only when the text around the content is proven to be the template:
   * the content's literal occurs once in the event, and the event with another string in its
   * place maps to one text chunk of that string.
   */
  learn(data: string, text: string): void {
    if (this.tries >= MAX_TRIES) return;
    this.tries++;
    const literal = JSON.stringify(text);
    const at = data.indexOf(literal);
    if (at < 0 || data.indexOf(literal, at + 1) >= 0) return;
    const before = data.slice(0, at);
    const after = data.slice(at + literal.length);
    const probe = '\u0000probe';
    if (this.soleTextOf(before + JSON.stringify(probe) + after) !== probe) return;
    this.before = before;
    this.after = after;
  }
}

/** The string a literal with escapes stands for, or undefined when it is not one whole literal. */
function escapedString(literal: string): string | undefined {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}
