/**
 * @module attempt-signal
 * The signal one upstream attempt runs under: aborted when the client leaves or when the
 * attempt's timer fires. The timer can be re-armed (streams: an idle timeout between chunks),
 * and the attempt can tell a timeout from a client abort afterwards.
 *
 * The attempt's AbortSignal is the one real AbortSignal of a request: it is what the provider's
 * dispatcher and undici are given (`DispatchCall.signal`). The client's side is any
 * AbortSignalLike (the kernel's `clientSignal(c)`: no EventTarget), and everything that aborts
 * the attempt goes through `abortWith`, which also ends the races in flight, so nothing here
 * listens on the attempt's own signal.
 */
import type { AbortSignalLike } from '@scaigrid/kernel';
import { UpstreamError } from './dispatcher.js';

export class AttemptSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onClientAbort = () => this.abortWith(this.client.reason);
  /** Set when our timer, not the client, aborted the attempt. */
  timedOut = false;

  constructor(
    private readonly client: AbortSignalLike,
    private readonly timeoutMs: number,
  ) {
    if (client.aborted) this.controller.abort(client.reason);
    else client.addEventListener('abort', this.onClientAbort, { once: true });
    this.arm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
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
    const signal = this.controller.signal;
    if (signal.aborted) {
      promise.catch(() => undefined);
      return Promise.reject(signal.reason);
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

  /** Aborts the signal (its listeners, undici's among them, run first), then rejects the races in flight. */
  private abortWith(reason: unknown): void {
    const signal = this.controller.signal;
    if (signal.aborted) return;
    this.controller.abort(reason);
    for (const reject of this.racing) reject(signal.reason);
    this.racing.clear();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.client.removeEventListener('abort', this.onClientAbort);
  }
}
