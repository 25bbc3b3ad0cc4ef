/**
 * @module sse-events
 * Server-sent events from an upstream response body, one event at a time as bytes arrive,
 * parsed by `eventsource-parser` (the WHATWG algorithm: CRLF, multi-line data, comments,
 * split UTF-8 sequences). Nothing is buffered beyond the event being parsed. A body that
 * fails mid-way makes the iterator throw an UpstreamError instead of ending quietly, so a
 * dropped upstream is never mistaken for a finished answer; breaking out of the loop
 * destroys the body, which closes the upstream request.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { DispatchCall } from './dispatcher.js';
import { toUpstreamError } from './upstream-http.js';

export type SseEvent = EventSourceMessage;

/**
 * @example for await (const event of sseEvents(response.body, call, label)) { if (event.data === '[DONE]') break; }
 */
export async function* sseEvents(body: AsyncIterable<Uint8Array | string>, call: DispatchCall, label: string): AsyncGenerator<SseEvent> {
  const pending: SseEvent[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      while (pending.length > 0) yield pending.shift()!;
    }
  } catch (err) {
    throw toUpstreamError(err, call, `${label} stream`);
  }
  parser.feed(decoder.decode());
  // A final event without its blank line is incomplete by the SSE rules; the parser drops it.
  while (pending.length > 0) yield pending.shift()!;
}
