/**
 * @module http/client-signal
 * "Has the client gone?" for a request, without an AbortController.
 *
 * `c.req.raw.signal` makes @hono/node-server build an AbortController for the request, and an
 * AbortSignal is an EventTarget: its construction was the costliest single function in the
 * gateway's profile (2.6 % of CPU at 16 connections), and its listener maps outlived most
 * requests' other garbage. A request path that only needs to know when the client left, and to
 * pass that on, gets the same answer from `clientSignal(c)`: a plain object with the part of
 * AbortSignal's interface the path uses, fed by the Node response's `close` event with
 * node-server's own rule (closed before the response finished, or the request errored).
 *
 * `PlainAbortSignal` is the same object on its own, for code that aborts something itself and
 * only hands the signal to code written against `AbortSignalLike`. Real `AbortSignal`s are
 * `AbortSignalLike` too, so callers may pass either.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

/** The part of AbortSignal that "stop when this is aborted" needs. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** An abort flag with listeners: AbortSignalLike and its controller in one, no EventTarget. */
export class PlainAbortSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    // Like an AbortSignal, an aborted one never calls listeners added afterwards.
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  /** Sets `aborted` and `reason` and calls each listener once; later calls do nothing. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}

/** node-server's reason, so an abort reads the same whichever signal reported it. */
const CLIENT_CLOSED_REASON = 'Client connection prematurely closed.';

/**
 * Aborted when the client's connection closes before the response is complete. Served by
 * node-server it watches the Node response; anywhere else (`app.request()` in tests) it is the
 * request's own `signal`.
 * @example
 * const client = clientSignal(c);
 * client.addEventListener('abort', () => upstream.abort(client.reason), { once: true });
 */
export function clientSignal(c: Context): AbortSignalLike {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  const outgoing = env?.outgoing;
  if (!outgoing || typeof outgoing.once !== 'function') return c.req.raw.signal;
  const incoming = env.incoming;
  const signal = new PlainAbortSignal();
  outgoing.once('close', () => {
    if (incoming?.errored) signal.abort(incoming.errored.toString());
    else if (!outgoing.writableFinished) signal.abort(CLIENT_CLOSED_REASON);
  });
  return signal;
}
