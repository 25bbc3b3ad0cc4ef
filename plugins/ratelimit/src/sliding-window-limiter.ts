/**
 * @module sliding-window-limiter
 * Checks and counts every limit of a request in one Redis round trip (one Lua script), so a
 * limit holds across any number of gateway instances and a refused request counts nowhere.
 * Sliding-window counter: two fixed windows weighted by how far the current one has run;
 * smooth at window edges (no double burst as with fixed windows) with two numbers per
 * counter, and the count is one that tokens can be added to after a response.
 *
 * Most requests skip Redis altogether: when the script admits a request it may count a grant
 * of extra units for this instance (local-grants.ts says why that never over-admits and what
 * it costs), and while a grant lasts, the requests it covers are admitted from memory. A
 * request limit far from its ceiling thus costs one script per `max` requests per instance;
 * near the ceiling the grants shrink to nothing and every request is checked in Redis. A
 * token limit is admitted from a short-lived view of the counter, which the admissions refresh
 * ahead of its end, so it costs one script per instance about every 0.75 s. An admission that
 * lacks only what a script on its way will bring (a view that lapsed in a quiet spell, units of
 * a grant that ran out before its top-up came back) waits for that reply, once, instead of
 * sending a script of its own.
 *
 * Tokens used by a finished request ride along with the next check that goes to Redis instead
 * of taking a Redis command of their own. When no such check comes (the usual case while
 * grants last), they go alone after TOKEN_FLUSH_MS, and stop() sends what is left, so other
 * instances see them late by at most that much. Alone, they go as a check of cost 0 on their
 * counters, whose reply refreshes those token views: after a request, the next one within a
 * second finds its view fresh, so sparse traffic no longer sends a refresh from the way in of
 * every third or fourth request, where it held up the upstream call when Redis and the
 * upstream shared a core (the bench; see bench/README.md, "Sparse traffic").
 */
// A script nobody waits for (a top-up, a view refresh) is sent in the check phase of the turn
// that asked for it: after the request that started it has gone upstream, instead of before it.
// On an idle connection the write leaves at once, and its system call and encoding sat on that
// request's way in. What it asks for is marked as asked before, so the same turn asks once.
import { setImmediate as nextCheckPhase } from 'node:timers/promises';
import { RedisScript, type ModuleContext } from '@scaigrid/kernel';
import type { LimitCheck } from './limit-rule.js';
import { DEFAULT_GRANTS, LocalGrants, VIEW_REFRESH_AHEAD_MS, VIEW_TRUST_MS, type Grant, type GrantSettings } from './local-grants.js';
import { CHECK_AND_COUNT } from './sliding-window-scripts.js';

export interface CheckResult {
  readonly check: LimitCheck;
  /** What is left in the sliding window after this request (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the counter is back to zero if nothing more is counted. */
  readonly resetMs: number;
  /** Milliseconds until this request would pass (0 when this check passed). */
  readonly retryMs: number;
}

export interface LimitDecision {
  readonly allowed: boolean;
  readonly results: readonly CheckResult[];
}

type Redis = ModuleContext['redis'];

const CHECK = new RedisScript(CHECK_AND_COUNT);

/**
 * How long used tokens may wait for a check to carry them before they are sent on their own.
 * Other instances read a token counter through a view trusted for VIEW_TRUST_MS and refreshed
 * about every 0.75 s, so tokens sent within a quarter second reach them about as soon as
 * tokens sent at once would. It was 20 ms: below ~50 requests a second, that sent one script
 * of its own per request, and its timer woke an idle gateway 20 ms after every answer, often
 * just as the next request came in.
 */
export const TOKEN_FLUSH_MS = VIEW_REFRESH_AHEAD_MS;

/** Tokens counted and not sent yet, summed per counter, and who waits for them to land. */
interface PendingTokens {
  readonly byCounter: Map<string, { check: LimitCheck; amount: number }>;
  readonly waiters: { resolve(): void; reject(err: unknown): void }[];
}

/** One check's part of the reply to CHECK_AND_COUNT. */
interface CheckReply {
  remaining: number;
  resetMs: number;
  retryMs: number;
  granted: number;
  windowLeftMs: number;
}

/** The `i`-th check's values in a CHECK_AND_COUNT reply (five per check, after `allowed`). */
function checkReply(reply: readonly number[], i: number): CheckReply {
  const at = 1 + i * 5;
  return { remaining: Number(reply[at]), resetMs: Number(reply[at + 1]), retryMs: Number(reply[at + 2]), granted: Number(reply[at + 3]), windowLeftMs: Number(reply[at + 4]) };
}

type Checks = readonly { check: LimitCheck; cost: number }[];

export class SlidingWindowLimiter {
  private pending: PendingTokens | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly local: LocalGrants;
  /**
   * Scripts on their way, per counter, whose replies bring a token counter's view or units for a
   * request counter's grant: each settled once what it brings is installed (or the script
   * failed). A check that lacks only such things waits for them, once, instead of sending a
   * script of its own (`comingFor`). After a quiet spell of more than VIEW_TRUST_MS every view
   * has lapsed, and each request of the burst that ended it sent one (up to one per connection
   * at 16 connections); at 64 connections a grant ran out before the top-up asked at half of it
   * came back, and ~5 % of requests sent their own check, each waiting for it on the way in.
   */
  private readonly viewsComing = new Map<string, Coming>();
  private readonly grantsComing = new Map<string, Coming>();

  /**
   * @param now the monotonic clock grants and views are timed on (tests give their own, so that
   * "just before a view lapses" does not depend on how late a timer fires on a busy machine)
   */
  constructor(
    private readonly redis: Redis,
    grants: GrantSettings = DEFAULT_GRANTS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.local = new LocalGrants(grants);
  }

  /**
   * Counts `cost` against every check when all of them have room; otherwise counts nothing.
   * Token checks are usually given cost 0: they pass while at least one token is left.
   * Answered from memory when grants cover every request check and recent replies every token
   * check; otherwise in Redis, where tokens added since the last script are counted first.
   * From memory the decision is returned as it is, not as a promise: nearly every request is
   * admitted so, and the promise cost its way in an await.
   */
  check(checks: Checks): LimitDecision | Promise<LimitDecision> {
    return this.decide(checks, true);
  }

  private decide(checks: Checks, mayWait: boolean): LimitDecision | Promise<LimitDecision> {
    if (checks.length === 0) return { allowed: true, results: [] };
    const now = this.now();
    const admitted = this.admitFromMemory(checks, now);
    if (!admitted) {
      const coming = mayWait ? this.comingFor(checks, now) : undefined;
      // Decided again once they are in: from memory then, or in Redis if they fell short.
      return coming ? coming.then(() => this.decide(checks, false)) : this.checkInRedis(checks, now);
    }
    this.topUp(checks, now);
    this.refreshViews(checks, now);
    return admitted;
  }

  /** Forgets every grant (the rules changed; a lowered limit must apply at once). */
  dropGrants(): void {
    this.local.dropAll();
  }

  /**
   * Asks ahead for the grants this admission left low (under half of `max`), so the requests
   * after it do not find them spent and each wait for Redis (at 64 connections, about a third
   * did). One script, counting only the grants; nobody waits for its answer, and it is sent
   * after the admission's turn (see the import of `nextCheckPhase`).
   */
  private topUp(checks: Checks, now: number): void {
    const { max, share } = this.local.settings;
    // Made only when a top-up is due: most admissions need none.
    let sent: { key: string; ask: number }[] | undefined;
    let args: (string | number)[] | undefined;
    for (const { check, cost } of checks) {
      const grant = cost > 0 ? this.local.grant(check.counterKey, now) : undefined;
      // Only far from the limit, where a top-up would be large: near it, grants are small and
      // requests go to Redis anyway. And one top-up per counter at a time.
      if (!grant || grant.left >= max / 2 || Math.floor(grant.remaining / share) < max / 2 || this.local.isAsking(check.counterKey)) continue;
      const ask = this.local.askFor(check.counterKey, now);
      if (ask <= 0) continue;
      (sent ??= []).push({ key: check.counterKey, ask });
      (args ??= [0, share]).push(check.limit, check.windowMs, 0, ask);
    }
    if (!sent || !args) return;
    const asked = sent;
    args[0] = asked.length;
    const sentAt = this.now();
    const generation = this.local.generation;
    const grantsArrived = markComing(this.grantsComing, asked.map(({ key, ask }) => [key, ask]));
    nextCheckPhase().then(() => this.runCarryingTokens(CHECK, asked.map((s) => s.key), args))
      .then((reply) => {
        const r = reply as number[];
        if (Number(r[0]) !== 1 || generation !== this.local.generation) return;
        const at = this.now();
        asked.forEach(({ key }, i) => this.installGrant(key, checkReply(r, i), sentAt, at));
      })
      // A lost top-up only means the next request asks Redis itself.
      .catch(() => undefined)
      .finally(() => {
        for (const { key, ask } of asked) this.local.answered(key, ask);
        grantsArrived();
      });
  }

  /**
   * Refreshes the token views this admission found near the end of their trust, so the requests
   * after it do not find them lapsed and each wait for Redis. One script with cost 0 on each (it
   * counts nothing, and carries the tokens used here); nobody waits for its answer, and it is
   * sent after the admission's turn (see the import of `nextCheckPhase`).
   */
  private refreshViews(checks: Checks, now: number): void {
    let due: LimitCheck[] | undefined;
    for (const { check, cost } of checks) if (cost === 0 && this.local.startRefresh(check.counterKey, now)) (due ??= []).push(check);
    if (!due) return;
    const refreshing = due;
    nextCheckPhase().then(() => this.checkViews(refreshing))
      // A lost refresh only means the view lapses and the next request asks Redis itself.
      .catch(() => undefined)
      .finally(() => {
        for (const check of refreshing) this.local.refreshed(check.counterKey);
      });
  }

  /** Checks `checks` with cost 0 in Redis, carrying the pending tokens, and installs the replies as their token views. */
  private async checkViews(checks: readonly LimitCheck[]): Promise<void> {
    const args: (string | number)[] = [checks.length, this.local.settings.share];
    for (const check of checks) args.push(check.limit, check.windowMs, 0, 0);
    const sentAt = this.now();
    const generation = this.local.generation;
    const keys = checks.map((check) => check.counterKey);
    const viewsArrived = markComing(this.viewsComing, keys.map((key) => [key, Infinity]));
    try {
      const reply = (await this.runCarryingTokens(CHECK, keys, args)) as number[];
      if (generation !== this.local.generation) return;
      checks.forEach((check, i) => this.installView(check.counterKey, checkReply(reply, i), sentAt));
    } finally {
      viewsArrived();
    }
  }

  /** A reply's tokens left on a token counter, less the tokens used here since it was sent. */
  private installView(key: string, reply: CheckReply, sentAt: number): void {
    const tokensLeft = reply.remaining - (this.pending?.byCounter.get(key)?.amount ?? 0);
    this.local.setView(key, { tokensLeft, until: sentAt + Math.min(reply.windowLeftMs, VIEW_TRUST_MS), resetAt: sentAt + reply.resetMs, sentAt });
  }

  private installGrant(key: string, reply: CheckReply, sentAt: number, at: number): void {
    const { granted, windowLeftMs, remaining, resetMs } = reply;
    // Less 0.1 % of the time left: this clock and Redis's may run at rates that differ by up to
    // NTP's 500 ppm slew, and a unit spent after its window ended would weigh less than one.
    this.local.addGrant(key, granted, sentAt + windowLeftMs - windowLeftMs / 1000, remaining, sentAt + resetMs, at);
  }

  /**
   * The replies to wait for when every check lacks at most what a script on its way will bring:
   * a token view, or units for a request counter's grant that no check waiting already counts
   * on. Undefined when anything else is missing (then the check goes to Redis itself). A live
   * view with no tokens left goes to Redis too: the script decides there.
   */
  private comingFor(checks: Checks, now: number): Promise<unknown> | undefined {
    let counts = false;
    let waits: Coming[] | undefined;
    for (const { check, cost } of checks) {
      const key = check.counterKey;
      if (cost > 0) {
        counts = true;
        if ((this.local.grant(key, now)?.left ?? 0) >= cost) continue;
        const coming = this.grantsComing.get(key);
        if (!coming || coming.claimed + cost > coming.units) return undefined;
        (waits ??= []).push(coming);
      } else {
        const view = this.local.view(key, now);
        if (view && !(view.tokensLeft > 0)) return undefined;
        if (view) continue;
        const coming = this.viewsComing.get(key);
        if (!coming) return undefined;
        (waits ??= []).push(coming);
      }
    }
    if (!counts || !waits) return undefined;
    // Claimed now that the request waits: the next ones count on what is left of each ask.
    checks.forEach(({ check, cost }) => {
      const coming = cost > 0 ? this.grantsComing.get(check.counterKey) : undefined;
      if (coming && waits.includes(coming)) coming.claimed += cost;
    });
    return waits.length === 1 ? waits[0]!.arrived : Promise.all(waits.map((w) => w.arrived));
  }

  /**
   * Admits from grants and views when they cover every check; otherwise takes nothing.
   * A check without any request counter always goes to Redis: it has no grant, and a view
   * alone would only let other instances' tokens show up to VIEW_TRUST_MS later than they do
   * now, saving a round trip only for callers whose sole limits are on tokens.
   */
  private admitFromMemory(checks: Checks, now: number): LimitDecision | undefined {
    let counts = false;
    for (const { check, cost } of checks) {
      if (cost > 0) {
        if (!((this.local.grant(check.counterKey, now)?.left ?? 0) >= cost)) return undefined;
        counts = true;
      } else if (!((this.local.view(check.counterKey, now)?.tokensLeft ?? 0) > 0)) {
        return undefined;
      }
    }
    if (!counts) return undefined;
    const results = checks.map(({ check, cost }) => {
      if (cost === 0) return fromView(check, this.local.view(check.counterKey, now)!, now);
      const grant = this.local.grant(check.counterKey, now)!;
      grant.left -= cost;
      return fromGrant(check, grant, now);
    });
    return { allowed: true, results };
  }

  private async checkInRedis(checks: Checks, now: number): Promise<LimitDecision> {
    // A request check that a grant still covers is spent from it here, before any await (so
    // concurrent checks cannot spend the same units), and not sent: counted again in Redis, its
    // grant would lie unspent for as long as another check keeps sending requests here.
    // Given back if the request is refused.
    const spent: { index: number; key: string; grant: Grant; cost: number }[] = [];
    const sent: { index: number; check: LimitCheck; cost: number; ask: number }[] = [];
    const args: (string | number)[] = [0, this.local.settings.share];
    checks.forEach(({ check, cost }, index) => {
      const grant = cost > 0 ? this.local.grant(check.counterKey, now) : undefined;
      if (grant && grant.left >= cost) {
        grant.left -= cost;
        spent.push({ index, key: check.counterKey, grant, cost });
        return;
      }
      const ask = cost > 0 ? this.local.askFor(check.counterKey, now) : 0;
      sent.push({ index, check, cost, ask });
      args.push(check.limit, check.windowMs, cost, ask);
    });
    args[0] = sent.length;
    const giveBack = () => {
      for (const s of spent) if (this.local.holds(s.key, s.grant)) s.grant.left += s.cost;
    };

    // Taken before sending: Redis reads its clock later, so windows end no earlier than this says.
    const sentAt = this.now();
    const generation = this.local.generation;
    const viewsArrived = markComing(this.viewsComing, sent.filter((s) => s.cost === 0).map((s) => [s.check.counterKey, Infinity]));
    const grantsArrived = markComing(this.grantsComing, sent.filter((s) => s.ask > 0).map((s) => [s.check.counterKey, s.ask]));
    let reply: number[];
    try {
      reply = (await this.runCarryingTokens(CHECK, sent.map((s) => s.check.counterKey), args)) as number[];
    } catch (err) {
      giveBack();
      viewsArrived();
      grantsArrived();
      throw err;
    } finally {
      for (const s of sent) this.local.answered(s.check.counterKey, s.ask);
    }

    const allowed = Number(reply[0]) === 1;
    const at = this.now();
    // A reply to a script sent before the rules changed must not leave grants or views behind.
    const fresh = generation === this.local.generation;
    const results: CheckResult[] = new Array(checks.length);
    sent.forEach(({ index, check, cost }, i) => {
      const values = checkReply(reply, i);
      const { remaining, resetMs, retryMs } = values;
      const key = check.counterKey;
      if (fresh && cost > 0 && allowed) {
        this.installGrant(key, values, sentAt, at);
      } else if (fresh && cost === 0) {
        this.installView(key, values, sentAt);
      }
      // What the caller has is what Redis has left plus what this instance holds for it.
      const held = cost > 0 && allowed ? (this.local.grant(key, at)?.left ?? 0) : 0;
      results[index] = { check, remaining: remaining + held, resetMs, retryMs };
    });
    viewsArrived();
    grantsArrived();
    // Refused: nothing was counted, so the spent units go back.
    if (!allowed) giveBack();
    for (const { index, grant } of spent) results[index] = fromGrant(checks[index]!.check, grant, at);
    if (allowed) return { allowed, results };

    // The grants of the checks that refused are kept: their units are counted in Redis and may
    // still be spent. One may even have come in for a concurrent check while this one was out
    // (a burst, where every request found no grant yet); then it admits this request after all.
    return this.admitFromMemory(checks, at) ?? { allowed, results };
  }

  /**
   * Adds `amount` to each counter unconditionally (actual tokens, known after the response).
   * Resolves once they are counted in Redis: with the next check, or on their own within
   * TOKEN_FLUSH_MS.
   */
  add(checks: readonly LimitCheck[], amount: number): Promise<void> {
    if (checks.length === 0 || amount <= 0) return Promise.resolve();
    for (const check of checks) this.local.spendTokens(check.counterKey, amount);
    const pending: PendingTokens = (this.pending ??= { byCounter: new Map(), waiters: [] });
    for (const check of checks) {
      const counted = pending.byCounter.get(check.counterKey);
      if (counted) counted.amount += amount;
      else pending.byCounter.set(check.counterKey, { check, amount });
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch(() => undefined);
    }, TOKEN_FLUSH_MS).unref();
    return new Promise((resolve, reject) => pending.waiters.push({ resolve, reject }));
  }

  /**
   * Sends the tokens no check has carried yet; resolves when they are counted (or when there
   * were none). They go as a check of cost 0 on each of their counters, so the reply refreshes
   * those counters' token views too: a caller whose requests come less than VIEW_TRUST_MS apart
   * then finds a fresh view on each, and its way in never waits for, nor shares the Redis server
   * with, a refresh of its own. bench/compare.ts, 5 ms/chunk first byte: see the module doc.
   */
  async flush(): Promise<void> {
    const carried = this.pending;
    if (carried) await this.checkViews([...carried.byCounter.values()].map(({ check }) => check));
  }

  /**
   * Runs `script` with the pending tokens appended to its keys and args (`windowMs, amount`
   * per counter, the layout CHECK_AND_COUNT reads), and tells their waiters how it went.
   */
  private async runCarryingTokens(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    const carried = this.pending;
    this.pending = undefined;
    if (carried) {
      for (const [key, { check, amount }] of carried.byCounter) {
        keys.push(key);
        args.push(check.windowMs, amount);
      }
    }
    try {
      const reply = await script.run(this.redis, keys, args);
      settle(carried);
      return reply;
    } catch (err) {
      // Not put back: the script may have run before the reply was lost, and counting twice
      // would refuse requests that should pass. A token limit can undercount by this much.
      settle(carried, err);
      throw err;
    }
  }
}

function settle(carried: PendingTokens | undefined, err?: unknown): void {
  if (!carried) return;
  for (const waiter of carried.waiters) {
    if (err === undefined) waiter.resolve();
    else waiter.reject(err);
  }
}

function fromGrant(check: LimitCheck, grant: Grant, now: number): CheckResult {
  return { check, remaining: Math.max(0, grant.remaining + grant.left), resetMs: Math.max(0, Math.round(grant.resetAt - now)), retryMs: 0 };
}

function fromView(check: LimitCheck, view: { tokensLeft: number; resetAt: number }, now: number): CheckResult {
  return { check, remaining: Math.max(0, view.tokensLeft), resetMs: Math.max(0, Math.round(view.resetAt - now)), retryMs: 0 };
}

/** A script on its way for a counter: `arrived` settles once what it brings is installed, or it failed. */
interface Coming {
  readonly arrived: Promise<void>;
  /** Grant units asked for (Infinity for a view, which nobody spends). */
  readonly units: number;
  /** Units that checks waiting for it count on. */
  claimed: number;
}

/**
 * Marks each `[counter, units]` as having a script on its way in `comings`, unless one is on
 * its way already; returns what to call once the reply's values are installed, or it failed.
 */
function markComing(comings: Map<string, Coming>, counters: readonly (readonly [string, number])[]): () => void {
  const mine = counters.filter(([key]) => !comings.has(key));
  if (mine.length === 0) return () => undefined;
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const entries = mine.map(([key, units]) => [key, { arrived, units, claimed: 0 }] as const);
  for (const [key, coming] of entries) comings.set(key, coming);
  return () => {
    for (const [key, coming] of entries) if (comings.get(key) === coming) comings.delete(key);
    arrive();
  };
}
