/**
 * @module rule-cache
 * Every rule, in memory, so that a request costs no database query. The rule table is small
 * (one row per limited subject plus the defaults), so a change reloads all of it: the
 * instance that made the change reloads at once, the others on the broadcast, and every
 * instance again every `refreshSeconds` in case a broadcast was missed.
 */
import type { EventBus } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';
import type { Logger } from 'pino';
import { checksOf, DEFAULT_SUBJECT, LIMIT_SCOPES, type LimitCheck, type LimitRule, type LimitScope } from './limit-rule.js';
import type { RuleStore } from './rule-store.js';

/** Broadcast after any change to the rules; the payload is empty. */
export const RULES_CHANGED = 'ratelimit.rules.changed';

const subjectOf = (caller: Caller, scope: LimitScope): string | undefined =>
  scope === 'key' ? caller.keyId : scope === 'user' ? caller.userId : scope === 'tenant' ? caller.tenantId : caller.partnerId;

export class RuleCache {
  private rules = new Map<string, LimitRule>();
  /**
   * The checks of each caller under the current rules, by the kind asked for. Every request
   * asks twice (admission, then tokens), and building the checks anew made ~3.5 KB of garbage
   * per request. Keyed by the Caller object, which auth keeps per key or token while it is
   * cached (a new object is just built for); a reload replaces the rules and this.
   */
  private checksByCaller = new WeakMap<Caller, Partial<Record<LimitCheck['kind'] | 'all', readonly LimitCheck[]>>>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  /** The rules as last loaded, to tell a change from a refresh that found nothing new. */
  private signature = '';
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly store: RuleStore,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    const next = new Map<string, LimitRule>();
    for (const rule of await this.store.all()) next.set(`${rule.scope}:${rule.subjectId ?? DEFAULT_SUBJECT}`, rule);
    this.rules = next;
    this.checksByCaller = new WeakMap();
    const signature = JSON.stringify([...next.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    if (signature === this.signature) return;
    this.signature = signature;
    for (const listener of this.listeners) listener();
  }

  /**
   * Calls `listener` each time a load finds the rules changed (here, by a broadcast from another
   * instance, or at a refresh), right after the new rules replace the old, before any request
   * can see them. Not for a refresh that found the same rules.
   */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Subscribes to change broadcasts and starts the safety refresh. */
  async start(refreshSeconds: number): Promise<void> {
    this.unsubscribe = await this.events.subscribe(RULES_CHANGED, () => this.reload());
    if (refreshSeconds > 0) {
      this.timer = setInterval(() => void this.reload(), refreshSeconds * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
  }

  /** Reloads here now and tells every other instance to. */
  async changed(): Promise<void> {
    await this.reload();
    try {
      await this.events.publish(RULES_CHANGED, {});
    } catch (err) {
      this.log.error({ err }, 'Could not broadcast a rate-limit rule change; other instances pick it up at their next refresh');
    }
  }

  /**
   * Every counter that applies to the caller: per scope, the subject's own rule, else the scope
   * default. The same array for the same caller until the rules change; do not modify it.
   */
  checksFor(caller: Caller, kind?: LimitCheck['kind']): readonly LimitCheck[] {
    let remembered = this.checksByCaller.get(caller);
    if (!remembered) {
      remembered = {};
      this.checksByCaller.set(caller, remembered);
    }
    return (remembered[kind ?? 'all'] ??= this.buildChecks(caller, kind));
  }

  private buildChecks(caller: Caller, kind: LimitCheck['kind'] | undefined): LimitCheck[] {
    const checks: LimitCheck[] = [];
    for (const scope of LIMIT_SCOPES) {
      const subjectId = subjectOf(caller, scope);
      if (subjectId === undefined) continue;
      const rule = this.rules.get(`${scope}:${subjectId}`) ?? this.rules.get(`${scope}:${DEFAULT_SUBJECT}`);
      if (rule) checks.push(...checksOf(rule, subjectId));
    }
    return kind ? checks.filter((c) => c.kind === kind) : checks;
  }

  private async reload(): Promise<void> {
    try {
      await this.load();
    } catch (err) {
      this.log.error({ err }, 'Could not reload rate-limit rules; serving the previous set');
    }
  }
}
