/**
 * @module attempt-signal
 * The signal one upstream attempt runs under: aborted when the client leaves or when the
 * attempt's timer fires. The timer can be re-armed (streams: an idle timeout between chunks),
 * and the attempt can tell a timeout from a client abort afterwards.
 *
 * It is a PlainAbortSignal itself (listeners without an EventTarget), and makes a real
 * AbortController only when someone reads `signal` (`DispatchCall.signal`, for a provider that
 * hands it to fetch or its SDK). The first-party path never does: `postJson` finds the attempt
 * behind its call (`abortSignalOf`) and listens here, so a request makes no EventTarget at all
 * (the controller and its listener were ~3 % of the CPU profile). The client's side is any
 * AbortSignalLike (the kernel's `clientSignal(c)`), and everything that aborts the attempt goes
 * through `abort`, which also ends the races in flight.
 */
import { PlainAbortSignal, type AbortSignalLike } from '@scaigrid/kernel';
import { UpstreamError, type DispatchCall } from './dispatcher.js';

/**
 * A call made by an attempt; its `signal` is the attempt's, made on first read. A class rather
 * than an object literal with a getter and a WeakMap from call to attempt: those cost ~1 % of a
 * whole answer's CPU in the bench's profile.
 */
class AttemptCall implements DispatchCall {
  readonly target: DispatchCall['target'];
  readonly http: DispatchCall['http'];
  readonly requestId: string;

  constructor(
    fields: Omit<DispatchCall, 'signal'>,
    readonly attempt: AttemptSignal,
  ) {
    this.target = fields.target;
    this.http = fields.http;
    this.requestId = fields.requestId;
  }

  get signal(): AbortSignal {
    return this.attempt.signal;
  }
}

/**
 * The cheapest signal that says when `call` is aborted: its attempt when dispatch made the call
 * (the toolkit's own `postJson` and `toUpstreamError` listen there), else `call.signal`.
 */
export function abortSignalOf(call: DispatchCall): AbortSignalLike {
  return call instanceof AttemptCall ? call.attempt : call.signal;
}

export class AttemptSignal extends PlainAbortSignal {
  private controller: AbortController | undefined;
  /**
   * The idle timeout is a deadline and one timer. A stream re-arms it for every chunk; a new
   * setTimeout each time made a Timeout and a closure per chunk and moved the timer lists on
   * every one. Now re-arming moves the deadline, and a timer that fires before it (the chunks
   * kept coming) starts one for what is left: about one timer per timeout period.
   */
  private timer: NodeJS.Timeout | undefined;
  private deadline = 0;
  private armed = false;
  private readonly onClientAbort = () => this.abort(this.client.reason);
  private readonly onTimer = () => {
    this.timer = undefined;
    if (!this.armed || this.aborted) return;
    const left = this.deadline - performance.now();
    if (left > 0) {
      this.schedule(left);
      return;
    }
    this.timedOut = true;
    this.abort(new UpstreamError('timeout', `No answer within ${this.timeoutMs} ms`));
  };
  /** Set when our timer, not the client, aborted the attempt. */
  timedOut = false;

  constructor(
    private readonly client: AbortSignalLike,
    private readonly timeoutMs: number,
  ) {
    super();
    if (client.aborted) this.abort(client.reason);
    else client.addEventListener('abort', this.onClientAbort, { once: true });
    this.arm();
  }

  /** A DispatchCall for this attempt whose `signal` is this attempt's, made on first read. */
  call(fields: Omit<DispatchCall, 'signal'>): DispatchCall {
    return new AttemptCall(fields, this);
  }

  /** The attempt as a real AbortSignal (made now if nobody asked before). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get clientAborted(): boolean {
    return this.client.aborted;
  }

  /** (Re)starts the timeout: it fires `timeoutMs` from now unless re-armed or paused before. */
  arm(): void {
    this.deadline = performance.now() + this.timeoutMs;
    this.armed = true;
    if (!this.timer && !this.aborted) this.schedule(this.timeoutMs);
  }

  /** Pauses the timeout (streams: while the client consumes a chunk, which is not upstream idleness). */
  disarm(): void {
    this.armed = false;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(this.onTimer, ms);
    this.timer.unref?.();
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

  /**
   * Aborts the attempt (the client left, the timer fired, or a consumer stopped reading);
   * idempotent. The listeners first (postJson's, which aborts the undici request), then the
   * real signal if one was made, then the races in flight. Without a reason, an AbortError as
   * AbortController gives.
   */
  override abort(reason?: unknown): void {
    if (this.aborted) return;
    super.abort(reason);
    this.controller?.abort(this.reason);
    for (const reject of this.racing) reject(this.reason);
    this.racing.clear();
  }

  dispose(): void {
    this.armed = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.client.removeEventListener('abort', this.onClientAbort);
  }
}
