/**
 * @module upstream-body
 * The body of an upstream response, fed by undici's dispatch handler and read by a dispatcher
 * either whole (`text()`) or chunk by chunk (`for await`). It stands in for the web-style
 * Readable that undici's `request()` builds for every response: that Readable, its state and
 * its async iterator cost about as much again as the rest of undici's work for a small JSON
 * answer (bench/undici probe, 16 concurrent requests: ~40 µs per request through `request()`
 * and `body.text()`, ~21 µs through `dispatch()` with plain callbacks).
 *
 * Flow control: chunks queue up to HIGH_WATER_BYTES while nobody reads, then the upstream
 * socket is paused until the reader takes them, so a slow client slows the upstream read
 * instead of growing memory. A reader gets everything that is buffered in one chunk, as a
 * Readable's `read()` gives. A reader that stops early (`break`, `return()`) aborts the
 * upstream request, as destroying undici's body did.
 */
import type { Dispatcher } from 'undici';

/** Bytes held for a reader that is behind before the upstream socket is paused. */
const HIGH_WATER_BYTES = 64 * 1024;

type Waiter = { resolve(result: IteratorResult<Buffer>): void; reject(err: unknown): void };

export class UpstreamBody implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private failure: unknown;
  private failed = false;
  private waiter: Waiter | undefined;
  private deliveryScheduled = false;
  private read = false;

  /**
   * Dropped once the body has ended or failed: after that there is nothing to pause, resume or
   * abort, and an ended body that V8 has already moved to the old generation would otherwise
   * keep undici's controller, and through it the request's handler and everything the request
   * touched, alive through every young-generation collection until the next full one.
   */
  private controller: Dispatcher.DispatchController | undefined;

  constructor(controller: Dispatcher.DispatchController) {
    this.controller = controller;
  }

  /**
   * From the handler: one chunk of the body. A waiting reader gets it in a microtask, together
   * with every other chunk the same socket read carried (undici hands over a streamed body's
   * chunks one by one): one step for the reader per read, as undici's own Readable gave.
   */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.waiter && !this.deliveryScheduled) {
      this.deliveryScheduled = true;
      queueMicrotask(this.deliver);
    }
    if (this.buffered > HIGH_WATER_BYTES) this.controller?.pause();
  }

  /** From the handler: the body is complete. */
  end(): void {
    this.ended = true;
    this.controller = undefined;
    if (this.chunks.length === 0) this.settleWaiter();
  }

  /** From the handler: the body broke off (connection lost, aborted, timed out). */
  fail(err: unknown): void {
    if (this.ended) return;
    this.failed = true;
    this.failure = err;
    this.controller = undefined;
    if (this.chunks.length === 0) this.settleWaiter();
  }

  /** The whole body as UTF-8 text; rejects when it breaks off. */
  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of this) parts.push(chunk);
    return parts.length === 1 ? parts[0]!.toString('utf8') : Buffer.concat(parts).toString('utf8');
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.read) throw new Error('An upstream body can be read once.');
    this.read = true;
    return {
      next: () => this.next(),
      return: (): Promise<IteratorResult<Buffer>> => {
        // The reader stopped before the end: nothing will read the rest, so close the request.
        if (!this.ended && !this.failed) this.controller?.abort(new Error('The upstream body was not read to the end'));
        this.chunks = [];
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private next(): Promise<IteratorResult<Buffer>> {
    if (this.chunks.length > 0) return Promise.resolve({ value: this.takeAll(), done: false });
    if (this.failed) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private readonly deliver = (): void => {
    this.deliveryScheduled = false;
    const waiter = this.waiter;
    if (!waiter || this.chunks.length === 0) return;
    this.waiter = undefined;
    waiter.resolve({ value: this.takeAll(), done: false });
  };

  /** Everything buffered, as one chunk. */
  private takeAll(): Buffer {
    const chunks = this.chunks;
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    if (this.controller?.paused) this.controller.resume();
    return all;
  }

  /** A waiting reader learns of the end or the failure (no chunks are left for it). */
  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (this.failed) waiter.reject(this.failure);
    else waiter.resolve({ value: undefined, done: true });
  }
}
