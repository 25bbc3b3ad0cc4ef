/**
 * @module http/drain
 * Tracks in-flight requests (until their response, stream included, has finished), work that
 * outlives a response (`waitUntil`: usage written after the answer went out, say) and the
 * draining flag. While draining, new requests are refused with 503 `DRAINING` and
 * `Retry-After`, and in-flight requests and work may finish within the grace period.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';

export class DrainState {
  private inFlight = 0;
  private background = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];

  get isDraining(): boolean {
    return this.draining;
  }

  /** Requests in flight plus unfinished `waitUntil` work. */
  get active(): number {
    return this.inFlight + this.background;
  }

  /** Counts a request from arrival until its response is closed (streams included). */
  attach(server: Server): void {
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.inFlight++;
      res.once('close', () => {
        this.inFlight--;
        this.wakeIfIdle();
      });
    });
  }

  /** Counts `work` as in flight until it settles; its outcome is the caller's to handle. */
  waitUntil(work: Promise<unknown>): void {
    this.background++;
    const done = () => {
      this.background--;
      this.wakeIfIdle();
    };
    work.then(done, done);
  }

  private wakeIfIdle(): void {
    if (this.active === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  start(): void {
    this.draining = true;
  }

  /** Resolves when nothing is in flight, or after `graceMs`; true when it drained cleanly. */
  async waitIdle(graceMs: number): Promise<boolean> {
    if (this.active === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Not async: with nothing to do after `next()`, it hands its promise on rather than making one of its own. */
  middleware(retryAfterSeconds: number): MiddlewareHandler {
    return (c, next) => {
      if (this.draining) {
        c.header('Connection', 'close');
        throw new GatewayError('DRAINING', 'This instance is shutting down; retry on another instance.', {
          headers: { 'Retry-After': String(retryAfterSeconds), Connection: 'close' },
        });
      }
      return next();
    };
  }
}
