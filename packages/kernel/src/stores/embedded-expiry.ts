/**
 * @module stores/embedded-expiry
 * Active expiry for the embedded (`memory://`) store. ioredis-mock deletes a key whose time is
 * up only when a command touches it again; Redis does that too, but also samples the keys with
 * a TTL a few times a second and deletes the expired ones nobody asks for. ioredis-mock never
 * does, and the gateway writes such keys on every request (accounting's settled marker, kept
 * 15 minutes and never read again after its settlement), so on embedded stores they stayed for
 * the life of the process: one key and one expiry entry more per request served, an unbounded
 * heap for a quick start left running.
 *
 * The mock keeps its expiries in a plain object it cannot list, so this one learns them as they
 * are set: each client's `expires.set`, which ioredis-mock's commands and the embedded scripts'
 * both call, also files the key under the second its time is up. Once a second the sweep looks
 * at the seconds that have passed and asks the mock about their keys (`data.has`), which
 * deletes a key whose time is up, by the mock's own rule, and keeps one whose expiry was
 * extended or removed since.
 *
 * A key keeps one filing at a time, at its earliest known deadline: the budget counters get a
 * later deadline on every settlement, and filing each of those would grow the index as fast as
 * the markers did. When that filing comes due and the key's deadline has moved on, it is filed
 * again at the new one.
 */
import type { MockDataset } from './embedded-commands.js';

/** The part of an ioredis-mock client the sweep wraps and asks. */
type ExpiringClient = Pick<MockDataset, 'data' | 'expires'>;

export class ExpirySweeper {
  /**
   * Per client: key → the deadline (epoch ms) the client last set for it. Weak, so that a client
   * the store hands out and the caller drops (`connect()`) is not kept for good by the sweeper.
   */
  private readonly deadlines = new WeakMap<ExpiringClient, Map<string, number>>();
  /** Second (epoch s, rounded up) → the keys filed to be looked at then. */
  private readonly due = new Map<number, [ExpiringClient, string][]>();
  /** The last second swept; filings at or before it would never be looked at. */
  private swept: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(now = Date.now()) {
    this.swept = Math.floor(now / 1000);
  }

  /**
   * Keys given a deadline from now on through `mock` (an ioredis-mock client) are deleted once
   * it passes; returns the client.
   */
  track<C>(mock: C): C {
    const client = mock as unknown as ExpiringClient;
    const deadlines = new Map<string, number>();
    this.deadlines.set(client, deadlines);
    const set = client.expires.set.bind(client.expires);
    client.expires.set = (key: string, timestamp: number) => {
      set(key, timestamp);
      const deadline = Number(timestamp);
      const filed = deadlines.get(key);
      deadlines.set(key, deadline);
      // Filed at or before this deadline already: that filing finds the new deadline when due.
      if (filed === undefined || filed > deadline) this.file(client, key, deadline);
    };
    return mock;
  }

  /** Deletes the keys whose time is up by `now`; returns how many. */
  sweep(now = Date.now()): number {
    let deleted = 0;
    const until = Math.floor(now / 1000);
    for (let second = this.swept + 1; second <= until; second++) {
      const keys = this.due.get(second);
      if (!keys) continue;
      this.due.delete(second);
      for (const [client, key] of keys) {
        const deadlines = this.deadlines.get(client);
        const deadline = deadlines?.get(key);
        if (deadline === undefined) continue;
        if (deadline > now) {
          this.file(client, key, deadline);
          continue;
        }
        deadlines!.delete(key);
        // `has` deletes the key when its expiry, as the mock holds it, has passed.
        if (client.expires.has(key) && !client.data.has(key)) deleted++;
      }
    }
    this.swept = Math.max(this.swept, until);
    return deleted;
  }

  /** Sweeps every `everyMs` without keeping the process alive. */
  start(everyMs = 1000): void {
    this.timer ??= setInterval(() => this.sweep(), everyMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private file(client: ExpiringClient, key: string, deadline: number): void {
    const second = Math.max(Math.ceil(deadline / 1000), this.swept + 1);
    const keys = this.due.get(second);
    if (keys) keys.push([client, key]);
    else this.due.set(second, [[client, key]]);
  }
}
