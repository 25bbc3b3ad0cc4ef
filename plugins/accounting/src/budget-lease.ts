/**
 * @module budget-lease
 * This instance's credit on each budget window: money its lease in Redis has set aside, so a
 * request whose worst case fits is admitted from memory, with no Redis round trip before it
 * goes upstream. The lease is a hold like a request's (id `lease:<instance id>`, counted in the
 * budget's `leased`), so it never lets a budget be over-booked: whatever this instance admits
 * on credit was set aside in Redis first, and expires with the lease if the instance dies.
 *
 * How the two sides stay in step, without sequence numbers: every change is additive. Credit
 * grows only by what a settle's reply says was granted; a request admitted on credit draws its
 * worst case here at once, and its settle takes the same amount off the lease in Redis; credit
 * handed back (idle, or on a slow-path reserve) is dropped here before Redis hears of it. So
 * the credit here is never more than the lease in Redis minus this instance's running
 * requests — and when a reply shows a smaller lease (it expired), the credit is cut to it.
 *
 * The cost: near a budget's end, an instance may refuse a request that another instance's
 * unused credit would have covered (a grant takes at most 1/share of what is free); credit no
 * request uses is handed back after `idleMs`.
 */

export interface LeaseOptions {
  /** This instance's lease id in Redis: `lease:<instance id>`. */
  id: string;
  /** A grant takes at most 1/share of what is left free in a budget; 0 turns leasing off. */
  share: number;
  /** Credit asked for when a request settles, in worst cases of that request. */
  requests: number;
  /** How long a lease lives in Redis after it was last renewed (every settle renews it). */
  ttlMs: number;
  /**
   * Credit is used only while at least this much of its lease is left, so a request admitted on
   * it is covered as long as a hold of its own would have been (the hold TTL).
   */
  holdTtlMs: number;
}

interface Credit {
  micros: number;
  /** Asked for by settles not answered yet: counted, so that concurrent settles do not each ask for the same top-up. */
  asked: number;
  /** Requests drawn on this credit and not settled yet. */
  running: number;
  /** When the lease in Redis expires, at the latest (`performance.now()` time). */
  expiresAt: number;
  lastUsedAt: number;
}

export class LeaseCredits {
  private readonly credits = new Map<string, Credit>();
  /** Per window, the next settle's answer that someone waits for (topUpComing): resolved by `answered`. */
  private readonly nextAnswers = new Map<string, { promise: Promise<void>; resolve(): void }>();
  /**
   * Bumped when the budgets change: a settle of a request admitted before asks for nothing
   * (it would be granted under the old amount), and credit a settle sent before brings back
   * is handed back, not used.
   */
  generation = 0;

  constructor(
    readonly options: LeaseOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.options.share > 0 && this.options.requests > 0;
  }

  now(): number {
    return this.clock();
  }

  /** Draws `micros` from the credit of every window, or from none; true when drawn. */
  draw(windows: readonly string[], micros: number): boolean {
    if (!this.enabled || windows.length === 0) return false;
    const now = this.clock();
    const found: Credit[] = [];
    for (const window of windows) {
      const credit = this.credits.get(window);
      if (!credit || credit.micros < micros || now + this.options.holdTtlMs > credit.expiresAt) return false;
      found.push(credit);
    }
    for (const credit of found) {
      credit.micros -= micros;
      credit.running++;
      credit.lastUsedAt = now;
    }
    return true;
  }

  /**
   * When the credit does not cover `micros` on some windows but a settle that asked for a top-up
   * on each of them is not answered yet: the next answer on those windows, after which `draw`
   * may cover it. Undefined when a window that falls short has nothing coming.
   *
   * Waiting for that answer is never slower than a hold (sent now, it would be answered after
   * the settle that is out already), and a hold hands this instance's credit back: under load,
   * the requests right after one found no credit and placed holds too until that answer came,
   * 5-10 in a row (a probe at 16 connections, 2026-11-30).
   */
  topUpComing(windows: readonly string[], micros: number): Promise<void> | undefined {
    if (!this.enabled || windows.length === 0) return undefined;
    const now = this.clock();
    let waits: Promise<void>[] | undefined;
    for (const window of windows) {
      const credit = this.credits.get(window);
      if (credit && credit.micros >= micros && now + this.options.holdTtlMs <= credit.expiresAt) continue;
      if (!credit || credit.asked <= 0) return undefined;
      (waits ??= []).push(this.nextAnswer(window));
    }
    if (!waits) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  private nextAnswer(window: string): Promise<void> {
    let next = this.nextAnswers.get(window);
    if (!next) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      next = { promise, resolve };
      this.nextAnswers.set(window, next);
    }
    return next.promise;
  }

  /** Gives up the credit of these windows and returns how much, per window (a slow-path reserve hands it back to Redis). */
  take(windows: readonly string[]): number[] {
    return windows.map((window) => {
      const credit = this.credits.get(window);
      if (!credit) return 0;
      const micros = credit.micros;
      credit.micros = 0;
      return micros;
    });
  }

  /**
   * What a settling request asks for, per window: enough credit for `requests` more requests
   * like it, plus one for each request running on credit, less what is held or already asked
   * for. The running ones count because, under load, about that many arrive while a settle's
   * answer is on its way (with 64 connections and a 16-request target, credit ran dry between
   * answers and a third of the requests took the slow path). Each ask stays counted until
   * `answered`; `drew` says the settling request ran on credit (it runs no more).
   */
  ask(windows: readonly string[], worstCaseMicros: number, drew: boolean): number[] {
    if (!this.enabled) return windows.map(() => 0);
    return windows.map((window) => {
      const credit = this.entry(window);
      if (drew) credit.running = Math.max(0, credit.running - 1);
      const target = (this.options.requests + credit.running) * worstCaseMicros;
      const ask = Math.max(0, target - credit.micros - credit.asked);
      credit.asked += ask;
      return ask;
    });
  }

  /**
   * A settle's reply (or its failure, with no `leases`) for the windows it asked on: `granted`
   * is new credit; `leaseAfter` the lease in Redis after that settle, which the credit can never
   * exceed (0: the lease is gone, expired). `sentAt` is when it was sent: the lease was renewed
   * no earlier.
   */
  answered(windows: readonly string[], asks: readonly number[], sentAt: number, leases?: readonly { granted: number; leaseAfter: number }[]): void {
    windows.forEach((window, i) => {
      const credit = this.entry(window);
      credit.asked = Math.max(0, credit.asked - asks[i]!);
      const lease = leases?.[i];
      if (lease) {
        credit.micros = Math.min(credit.micros + lease.granted, lease.leaseAfter);
        if (lease.leaseAfter > 0) credit.expiresAt = sentAt + this.options.ttlMs;
      }
      const next = this.nextAnswers.get(window);
      if (next) {
        this.nextAnswers.delete(window);
        next.resolve();
      }
    });
  }

  private entry(window: string): Credit {
    let credit = this.credits.get(window);
    if (!credit) {
      credit = { micros: 0, asked: 0, running: 0, expiresAt: 0, lastUsedAt: this.clock() };
      this.credits.set(window, credit);
    }
    return credit;
  }

  /** The budgets changed: all credit is taken to be handed back, and a new generation starts. */
  retire(): Map<string, number> {
    this.generation++;
    return this.takeIdle(0);
  }

  /**
   * Takes the credit no request drew for `idleMs` (or all of it when `idleMs` is 0), to hand
   * back to Redis; forgets windows with nothing left. Returns the amounts by window.
   */
  takeIdle(idleMs: number): Map<string, number> {
    const now = this.clock();
    const out = new Map<string, number>();
    for (const [window, credit] of this.credits) {
      if (now - credit.lastUsedAt < idleMs) continue;
      if (credit.micros > 0 && credit.expiresAt > now) out.set(window, credit.micros);
      // A window with a settle or a request in flight stays: its answer needs the entry (its credit is 0 now).
      if (credit.asked > 0 || credit.running > 0) credit.micros = 0;
      else this.credits.delete(window);
    }
    return out;
  }
}
