/**
 * @module accounting-hook
 * Accounting on the request path, as inference hooks. `admit` covers the request's worst case
 * on every budget that applies — from this instance's lease credit when it can (no Redis call),
 * else with one hold placed by one Lua step — or refuses with BUDGET_EXCEEDED before anything
 * goes upstream; it runs after the prompt hooks (so the hold counts the final prompt) and at
 * the same time as the rate-limit check. afterResponse / onError settle exactly once:
 * the actual cost (provider-reported tokens, else what was counted from the stream, flagged
 * estimated) is added to spent, the rest of the hold released, and the usage record queued —
 * again in one Lua step, so a settled spend always has its record.
 */
import { GatewayError, newUlid } from '@scaigrid/kernel';
import type { InferenceContext, InferenceHook } from '@scaigrid/plugin-inference';
import type { ModuleContext } from '@scaigrid/kernel';

import type { BudgetCatalog } from './budget-catalog.js';
import { windowsAt, type BudgetLedger, type BudgetState, type BudgetWindow } from './budget-ledger.js';
import type { AccountingConfig } from './config.js';
import { worstCaseMicros } from './hold-estimate.js';
import { costMicros, formatAmount } from './money.js';
import type { UsageRecord, UsageStatus } from './usage-record.js';

type Logger = ModuleContext['log'];

const STATE_KEY = 'accounting';

interface AccountingState {
  /** The accounting id: hold id, settled marker and usage row id. */
  id: string;
  windows: BudgetWindow[];
  holdMicros: number;
  /** Admitted on the instance's lease credit rather than with a hold of its own. */
  leased: boolean;
  /** The ledger's generation at admission (budgets changed since: its settle asks for no credit). */
  generation: number;
  settled: boolean;
}

export interface AccountingHookDeps {
  catalog: BudgetCatalog;
  ledger: BudgetLedger;
  config: AccountingConfig;
  log: Logger;
}

function refusal(state: BudgetState, holdMicros: number, currency: string): GatewayError {
  const { budget } = state;
  // Leases count: what instances have set aside is not free for this request either.
  const used = state.spentMicros + state.heldMicros + state.leasedMicros;
  return new GatewayError(
    'BUDGET_EXCEEDED',
    `The ${budget.period} ${budget.scope} budget of ${formatAmount(budget.amountMicros)} ${currency} cannot cover this request: ` +
      `${formatAmount(used)} ${currency} is spent or held and this request may cost up to ${formatAmount(holdMicros)} ${currency}. ` +
      'Lower max_tokens, wait for the next period, or ask an admin to raise the budget.',
    { details: { budget_id: budget.id, scope: budget.scope, period: budget.period } },
  );
}

export function createAccountingHook(deps: AccountingHookDeps): InferenceHook {
  const { catalog, ledger, config, log } = deps;

  const settle = async (ctx: InferenceContext, status: UsageStatus): Promise<void> => {
    const state = ctx.state.get(STATE_KEY) as AccountingState | undefined;
    if (!state || state.settled) return;
    state.settled = true;
    const now = Date.now();
    const usage = ctx.usage ?? { promptTokens: 0, completionTokens: 0 };
    const cost = ctx.backend ? costMicros(usage.promptTokens, usage.completionTokens, ctx.backend) : 0;
    const record: UsageRecord = {
      id: state.id,
      requestId: ctx.requestId,
      keyId: ctx.caller.keyId ?? null,
      userId: ctx.caller.userId ?? null,
      tenantId: ctx.caller.tenantId ?? null,
      partnerId: ctx.caller.partnerId ?? null,
      model: ctx.route.slug,
      backendId: ctx.backend?.id ?? null,
      provider: ctx.provider?.id ?? ctx.backend?.providerId ?? null,
      tokensIn: usage.promptTokens,
      tokensOut: usage.completionTokens,
      costMicros: cost,
      currency: ctx.route.currency,
      latencyMs: Math.max(0, (ctx.finishedAt ?? now) - ctx.startedAt),
      status,
      estimated: ctx.usageEstimated,
      createdAt: ctx.startedAt,
    };
    const json = JSON.stringify(record);
    const markerTtlMs = config.settledMarkerTtlSeconds * 1000;
    const lease = { drawnMicros: state.leased ? state.holdMicros : 0, worstCaseMicros: state.holdMicros, generation: state.generation, markedAt: now };
    try {
      await ledger.settle(state.id, state.windows, cost, json, now, markerTtlMs, lease);
    } catch (first) {
      log.warn({ err: first, requestId: ctx.requestId }, 'Settling usage failed; retrying once');
      try {
        // Same accounting id and marker set (`lease.markedAt`): the settled marker makes a retry after a lost reply a no-op.
        await ledger.settle(state.id, state.windows, cost, json, Date.now(), markerTtlMs, lease);
      } catch (err) {
        // Keep the record in the log so an operator can replay it; the hold expires on its own.
        log.error({ err, requestId: ctx.requestId, usage: record }, 'Could not settle usage in Redis');
      }
    }
  };

  /** Draws the request's worst case from this instance's credit; true when it covered it (the request is admitted). */
  const admitOnCredit = (ctx: InferenceContext, id: string, windows: BudgetWindow[], holdMicros: number): boolean => {
    const { generation } = ledger;
    if (!ledger.draw(windows, holdMicros)) return false;
    ctx.state.set(STATE_KEY, { id, windows, holdMicros, leased: true, generation, settled: false } satisfies AccountingState);
    return true;
  };

  /** Places a hold in Redis; rejects with the refusal when a budget cannot cover it. */
  const admitWithHold = (ctx: InferenceContext, id: string, windows: BudgetWindow[], holdMicros: number, now: number): Promise<void> => {
    const { generation } = ledger;
    return ledger.reserve(id, windows, holdMicros, now, config.hold.ttlSeconds * 1000).then((outcome) => {
      if (!outcome.ok) throw refusal(outcome.refusedBy, holdMicros, ctx.route.currency);
      ctx.state.set(STATE_KEY, { id, windows, holdMicros, leased: false, generation, settled: false } satisfies AccountingState);
    });
  };

  return {
    name: 'accounting',
    // Not async: drawn from this instance's lease (nearly always), the request is admitted at
    // once; only a hold placed in Redis, or a top-up on its way, is waited for.
    admit(ctx) {
      const now = Date.now();
      const id = newUlid(now);
      const windows = windowsAt(catalog.applicable(ctx.caller, ctx.route.currency), now);
      const holdMicros = windows.length > 0 ? worstCaseMicros(ctx, config.hold) : 0;
      if (admitOnCredit(ctx, id, windows, holdMicros)) return;
      // Short of credit with a top-up on its way: that answer, then credit or a hold (once).
      const coming = ledger.topUpComing(windows, holdMicros);
      if (!coming) return admitWithHold(ctx, id, windows, holdMicros, now);
      return coming.then(() => (admitOnCredit(ctx, id, windows, holdMicros) ? undefined : admitWithHold(ctx, id, windows, holdMicros, now)));
    },
    async afterResponse(ctx) {
      await settle(ctx, 'ok');
    },
    async onError(ctx) {
      await settle(ctx, ctx.aborted ? 'aborted' : 'error');
    },
  };
}
