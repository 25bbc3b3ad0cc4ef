/**
 * @module sse-writer
 * Server-Sent Events out of an async iterable, one event per pull: nothing is buffered
 * beyond the event being written, so a slow client slows the upstream read instead of
 * growing memory, and each event is flushed as soon as it exists. When the client goes away
 * the stream is cancelled, which returns the iterator (and so aborts the upstream call).
 */

export interface SseEvent {
  /** Event name; omitted for OpenAI-style unnamed `data:` events. */
  event?: string;
  data: string;
}

const encoder = new TextEncoder();

/** `event: x\ndata: line1\ndata: line2\n\n` — a multi-line payload becomes several data lines. */
export function formatSseEvent(event: SseEvent): string {
  let out = event.event ? `event: ${event.event}\n` : '';
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Tells nginx-style proxies not to buffer the stream.
  'x-accel-buffering': 'no',
});

/**
 * @example
 * return sseResponse((async function* () { yield { data: '{"a":1}' }; yield { data: '[DONE]' }; })());
 */
export function sseResponse(events: AsyncIterable<SseEvent>, headers: Record<string, string> = {}): Response {
  const iterator = events[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(formatSseEvent(next.value)));
        } catch (err) {
          // The producer is expected to turn failures into an error event; this is the last resort.
          controller.error(err);
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}
