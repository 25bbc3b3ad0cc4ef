/**
 * @module sse-writer
 * Server-Sent Events out of an async iterable, one event per pull: nothing is buffered
 * beyond the event being written, so a slow client slows the upstream read instead of
 * growing memory, and each event is flushed as soon as it exists. When the client goes away
 * the stream is cancelled, which returns the iterator (and so aborts the upstream call).
 *
 * Served over node:http, the events skip the web stream: they are written to the socket
 * directly, and the events that become ready in one turn of the event loop (an upstream read
 * usually carries several) leave in one write, which is most of what a stream costs us.
 */
import type { ServerResponse } from 'node:http';
import { nodeBodyResponse } from '@scaigrid/kernel';
import type { Context } from 'hono';

export interface SseEvent {
  /** Event name; omitted for OpenAI-style unnamed `data:` events. */
  event?: string;
  data: string;
}

const encoder = new TextEncoder();

/** `event: x\ndata: line1\ndata: line2\n\n` — a multi-line payload becomes several data lines. */
export function formatSseEvent(event: SseEvent): string {
  const { data } = event;
  if (!event.event && data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `data: ${data}\n\n`;
  let out = event.event ? `event: ${event.event}\n` : '';
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // Tells nginx-style proxies not to buffer the stream.
  'x-accel-buffering': 'no',
});

/** One event, or several that became ready together (the encoding of one upstream read). */
export type SseItem = SseEvent | readonly SseEvent[];

/**
 * @example
 * return sseResponse(c, (async function* () { yield { data: '{"a":1}' }; yield { data: '[DONE]' }; })());
 */
export function sseResponse(c: Context, events: AsyncIterable<SseItem>, options: SseOptions = {}): Response {
  const iterator = events[Symbol.asyncIterator]();
  const headAtOnce = options.headAtOnce === true;
  return nodeBodyResponse(c, (out) => writeEvents(iterator, out, headAtOnce), { status: 200, headers: { ...SSE_HEADERS, ...options.headers } }, () => webStream(iterator));
}

export interface SseOptions {
  /** Headers beside the SSE ones. */
  headers?: Record<string, string>;
  /**
   * Send the head in a write of its own at once, rather than at the end of the turn unless an
   * event is ready to carry it (see `sendHead`). For a stream that has the instance to itself
   * (`ChatStreamOutcome.alone`): the extra write then costs no one.
   */
  headAtOnce?: boolean;
}

/** The wire text of one item. */
function formatSseItem(item: SseItem): string {
  if (!Array.isArray(item)) return formatSseEvent(item as SseEvent);
  let text = '';
  for (const event of item as readonly SseEvent[]) text += formatSseEvent(event);
  return text;
}

function webStream(iterator: AsyncIterator<SseItem>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(formatSseItem(next.value)));
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
}

/**
 * The node:http path. The events that become ready in one turn of the event loop (an upstream
 * read usually carries several) are joined and written once, in the loop's check phase: one
 * write per turn instead of one per event. Waits for `drain` when the client reads slowly.
 * Exported for its tests; routes go through `sseResponse`.
 */
export async function writeEvents(iterator: AsyncIterator<SseItem>, out: ServerResponse, headAtOnce = false): Promise<void> {
  let pending = '';
  let scheduled = false;
  let full = false;
  /** Whether something that carries the head was written (an event, or the end). */
  let headGone = false;
  const flush = () => {
    scheduled = false;
    if (pending === '' || out.destroyed) return;
    full = !out.write(pending);
    headGone = true;
    pending = '';
  };
  sendHead(out, headAtOnce, () => pending === '' && !headGone);
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    if (out.destroyed) {
      // The client is gone: stop the producer (which settles the request and aborts upstream).
      await iterator.return?.();
      return;
    }
    pending += formatSseItem(next.value);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
    if (full) {
      await drained(out);
      full = false;
    }
  }
  flush();
  headGone = true;
  out.end();
}

/**
 * Sends the response head ahead of the first event. The pipeline answers as soon as an upstream
 * accepted, and a model may think for a while before its first token: the client should have the
 * head by then, so at the latest it leaves by itself at the end of this turn, unless an event is
 * ready to carry it (the upstream's head came with its first event): then both leave in one
 * write, as a busy instance wants. `atOnce` (a stream alone on the instance) sends it now: the
 * client reads the head while the first event is parsed and encoded, and the extra write costs
 * no one. bench/README.md, "The response head at acceptance".
 */
function sendHead(out: ServerResponse, atOnce: boolean, nothingWritten: () => boolean): void {
  if (atOnce) {
    out.flushHeaders();
    return;
  }
  setImmediate(() => {
    // Not `out.headersSent`: that turns true at `writeHead`, before anything is written.
    if (nothingWritten() && !out.destroyed) out.flushHeaders();
  });
}

function drained(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
