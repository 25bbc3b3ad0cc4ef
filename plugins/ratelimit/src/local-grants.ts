/**
 * @module local-grants
 * What one gateway instance may admit without asking Redis.
 *
 * A grant is request units that the check script has already counted in Redis for this
 * instance, beyond the cost of the request that asked (at most 1/share of what was left, and
 * at most `max`). Spending them later from memory admits nothing Redis did not count: the
 * counter is at every moment at least what was really used, so no number of instances can
 * over-admit. A unit is counted in one fixed window and weighs a full unit only there, so a
 * grant is spent only until that window ends (`until`, measured from before the script was
 * sent, so it can only be early).
 *
 * The cost: units granted here and not yet spent are unavailable to every other instance. Near
 * a limit, another instance may refuse a request that this grant would have covered (at most
 * 1/share of what was left per grant, and at most `max` per counter per instance); a grant left
 * unspent when its window ends is capacity that window loses. Near the limit the grant rounds
 * down to nothing and every request is checked in Redis.
 *
 * A token check (cost 0: "something must be left") has no grant, as its tokens are only known
 * after the response. A view of the last reply stands in for it, trusted for at most
 * VIEW_TRUST_MS because other instances' tokens do not show in it (and refreshed on the side
 * by the first admission within VIEW_REFRESH_AHEAD_MS of that end); tokens used here are taken
 * off it at once. Token limits may be overshot anyway (by one request's tokens); the view adds
 * at most what other instances use in that time.
 */

/** Units counted in Redis for this instance to spend before `until`. Mutated in place, so a holder can tell it is still the current one. */
export interface Grant {
  left: number;
  until: number;
  /** What Redis had left after counting the grant (what the caller has is this plus `left`). */
  remaining: number;
  resetAt: number;
}

/** The last reply's tokens left on a token counter, minus tokens used here since. */
export interface TokenView {
  tokensLeft: number;
  until: number;
  resetAt: number;
  /** When the reply's script was sent: an older reply (answered before a newer one) does not replace a newer view. */
  sentAt: number;
}

export interface GrantSettings {
  /** A grant takes at most 1/share of what is left; 0 turns grants off. */
  share: number;
  /** The most units one instance holds on one counter; 0 turns grants off. */
  max: number;
}

export const DEFAULT_GRANTS: GrantSettings = { share: 16, max: 100 };

/** How long a token view is trusted: other instances' tokens are unknown to it. */
export const VIEW_TRUST_MS = 1000;

/**
 * A token view is refreshed ahead once less than this is left of its trust, by the admission
 * that finds it so: otherwise every request in flight when it lapsed went to Redis (under load,
 * once a second per token limit, each waiting out a round trip behind the busy event loop).
 */
export const VIEW_REFRESH_AHEAD_MS = VIEW_TRUST_MS / 4;

export class LocalGrants {
  private grants = new Map<string, Grant>();
  private views = new Map<string, TokenView>();
  /** Units asked for and not answered yet, per counter, so concurrent checks do not all ask (and hold `max` several times over). */
  private readonly asking = new Map<string, number>();
  /** Token counters whose view is being refreshed, so concurrent admissions send one refresh. */
  private readonly refreshing = new Set<string>();
  /** Bumped by dropAll(): replies to scripts sent before it must not install grants computed under the old rules. */
  generation = 0;

  constructor(readonly settings: GrantSettings) {}

  get enabled(): boolean {
    return this.settings.share > 0 && this.settings.max > 0;
  }

  /** The grant on `key` while its window lasts (it may have no units left at the moment). */
  grant(key: string, now: number): Grant | undefined {
    return live(this.grants, key, now);
  }

  /** The token view of `key` while it is trusted. */
  view(key: string, now: number): TokenView | undefined {
    return live(this.views, key, now);
  }

  /** Is `grant` still the one held for `key` (not dropped or replaced), so units may go back to it? */
  holds(key: string, grant: Grant): boolean {
    return this.grants.get(key) === grant;
  }

  /** How many units to ask for on `key`: up to `max` held or asked for at once. */
  askFor(key: string, now: number): number {
    if (!this.enabled) return 0;
    const ask = this.settings.max - (this.grant(key, now)?.left ?? 0) - (this.asking.get(key) ?? 0);
    if (ask <= 0) return 0;
    this.asking.set(key, (this.asking.get(key) ?? 0) + ask);
    return ask;
  }

  /** Is an ask for `key` waiting for its answer? */
  isAsking(key: string): boolean {
    return this.asking.has(key);
  }

  /** The answer to an askFor() came (or never will). */
  answered(key: string, ask: number): void {
    if (ask <= 0) return;
    const left = (this.asking.get(key) ?? 0) - ask;
    if (left > 0) this.asking.set(key, left);
    else this.asking.delete(key);
  }

  /** Adds what a reply granted; a grant still live keeps its units, and the earlier end of the two. */
  addGrant(key: string, granted: number, until: number, remaining: number, resetAt: number, now: number): void {
    const grant = this.grant(key, now);
    if (grant) {
      grant.left += granted;
      grant.until = Math.min(grant.until, until);
      grant.remaining = remaining;
      grant.resetAt = resetAt;
    } else if (granted > 0) {
      this.grants.set(key, { left: granted, until, remaining, resetAt });
    }
  }

  /** Whether the view of `key` should be refreshed now; true once until refreshed() is called. */
  startRefresh(key: string, now: number): boolean {
    const view = this.view(key, now);
    if (!view || view.until - now > VIEW_REFRESH_AHEAD_MS || this.refreshing.has(key)) return false;
    this.refreshing.add(key);
    return true;
  }

  /** The refresh of `key` was answered (or never will be). */
  refreshed(key: string): void {
    this.refreshing.delete(key);
  }

  setView(key: string, view: TokenView): void {
    const current = this.views.get(key);
    if (!current || current.sentAt <= view.sentAt) this.views.set(key, view);
  }

  /** Tokens used here: off the view at once, so this instance does not admit on tokens it knows are gone. */
  spendTokens(key: string, amount: number): void {
    const view = this.views.get(key);
    if (view) view.tokensLeft -= amount;
  }

  /** Forgets every grant and view (the rules changed: a lowered limit applies at once). Safe: a grant is only unspent capacity. */
  dropAll(): void {
    this.grants = new Map();
    this.views = new Map();
    this.generation++;
  }
}

/** The entry of `key` until its `until`; forgotten after. */
function live<T extends { until: number }>(entries: Map<string, T>, key: string, now: number): T | undefined {
  const entry = entries.get(key);
  if (entry && now >= entry.until) {
    entries.delete(key);
    return undefined;
  }
  return entry;
}
