/**
 * @module attempt-signal
 * The signal one upstream attempt runs under: aborted when the client leaves or when the
 * attempt's timer fires. The timer can be re-armed (streams: an idle timeout between chunks),
 * and the attempt can tell a timeout from a client abort afterwards.
 *
 * It is an AbortSignalLike itself, with plain listeners, and makes a real AbortController only
 * when someone reads `signal` (`DispatchCall.signal`, for a provider that hands it to fetch or
 * its SDK). The first-party path never does: `postJson` finds the attempt behind its call
 * (`abortSignalOf`) and listens here, so a request makes no EventTarget at all (the
 * controller and its listener were ~3 % of the CPU profile). The client's side is any
 * AbortSignalLike (the kernel's `clientSignal(c)`), and everything that aborts the attempt goes
 * through `abortWith`, which also ends the races in flight.
 */
import type { AbortSignalLike } from '@scaigrid/kernel';
import { UpstreamError, type DispatchCall } from './dispatcher.js';

/** The attempt behind each call, for the toolkit's own calls (`postJson`, `toUpstreamError`). */
const attempts = new WeakMap<DispatchCall, AttemptSignal>();

/**
 * The cheapest signal that says when `call` is aborted: its attempt when dispatch made the call,
 * else `call.signal`.
 */
export function abortSignalOf(call: DispatchCall): AbortSignalLike {
  return attempts.get(call) ?? call.signal;
}

export class AttemptSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private controller: AbortController | undefined;
  private listeners: (() => void)[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onClientAbort = () => this.abortWith(this.client.reason);
  /** Set when our timer, not the client, aborted the attempt. */
  timedOut = false;

  constructor(
    private readonly client: AbortSignalLike,
    private readonly timeoutMs: number,
  ) {
    if (client.aborted) this.abortWith(client.reason);
    else client.addEventListener('abort', this.onClientAbort, { once: true });
    this.arm();
  }

  /** A DispatchCall for this attempt whose `signal` is this attempt's, made on first read. */
  call(fields: Omit<DispatchCall, 'signal'>): DispatchCall {
    const attempt = this;
    const call: DispatchCall = {
      ...fields,
      get signal() {
        return attempt.signal;
      },
    };
    attempts.set(call, this);
    return call;
  }

  /** The attempt as a real AbortSignal (made now if nobody asked before). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  get clientAborted(): boolean {
    return this.client.aborted;
  }

  /** (Re)starts the timeout. */
  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abortWith(new UpstreamError('timeout', `No answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    this.timer.unref?.();
  }

  /** Pauses the timeout (streams: while the client consumes a chunk, which is not upstream idleness). */
  disarm(): void {
    clearTimeout(this.timer);
  }

  /** Rejecters of the races in flight (streams race every chunk). */
  private readonly racing = new Set<(reason: unknown) => void>();

  /**
   * Settles with `promise`, or rejects with the abort reason as soon as the attempt is aborted,
   * so a dispatcher that ignores its signal cannot hold a request past the timeout.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.aborted) {
      promise.catch(() => undefined);
      return Promise.reject(this.reason);
    }
    return new Promise<T>((resolve, reject) => {
      this.racing.add(reject);
      promise.then(
        (value) => {
          this.racing.delete(reject);
          resolve(value);
        },
        (err: unknown) => {
          this.racing.delete(reject);
          reject(err);
        },
      );
    });
  }

  /** Stops the upstream call (a consumer that stopped reading); idempotent. */
  abort(reason?: unknown): void {
    this.abortWith(reason);
  }

  /**
   * Aborts the attempt: the real signal if one was made, then the listeners (postJson's, which
   * aborts the undici request), then the races in flight. Without a reason, an AbortError as
   * AbortController gives.
   */
  private abortWith(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.controller?.abort(this.reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
    for (const reject of this.racing) reject(this.reason);
    this.racing.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.client.removeEventListener('abort', this.onClientAbort);
  }
}
