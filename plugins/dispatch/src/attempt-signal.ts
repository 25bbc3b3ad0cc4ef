/**
 * @module attempt-signal
 * The signal one upstream attempt runs under: aborted when the client leaves or when the
 * attempt's timer fires. The timer can be re-armed (streams: an idle timeout between chunks),
 * and the attempt can tell a timeout from a client abort afterwards.
 */
import { UpstreamError } from './dispatcher.js';

export class AttemptSignal {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onClientAbort = () => this.controller.abort(this.client.reason);
  /** Set when our timer, not the client, aborted the attempt. */
  timedOut = false;

  constructor(
    private readonly client: AbortSignal,
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
      this.controller.abort(new UpstreamError('timeout', `No answer within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    this.timer.unref?.();
  }

  /** Pauses the timeout (streams: while the client consumes a chunk, which is not upstream idleness). */
  disarm(): void {
    clearTimeout(this.timer);
  }

  /** Rejecters of the races in flight; one abort listener serves them all (streams race every chunk). */
  private readonly racing = new Set<(reason: unknown) => void>();
  private listening = false;

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
    if (!this.listening) {
      // Added once per attempt rather than once per race: EventTarget listeners are costly.
      this.listening = true;
      signal.addEventListener('abort', () => {
        for (const reject of this.racing) reject(signal.reason);
        this.racing.clear();
      }, { once: true });
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
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.client.removeEventListener('abort', this.onClientAbort);
  }
}
