/**
 * @module @scaigrid/plugin-accounting
 * Budgets and usage. Registers inference hooks that hold a request's worst-case cost on every
 * budget that applies before dispatch (or refuse with BUDGET_EXCEEDED) and settle the actual
 * cost afterwards, queueing a usage record in Redis in the same atomic step; a worker task
 * flushes those records to the database exactly once each. Owns `/v1/admin/budgets` and
 * `/v1/usage`. Removing the module leaves the gateway serving, unmetered.
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth';
import { inferenceHooksRef } from '@scaigrid/plugin-inference';
import { createAccountingHook } from './accounting-hook.js';
import { BudgetAdmin } from './budget-admin.js';
import { BUDGETS_CHANGED_TOPIC, BudgetCatalog, type BudgetsChangedEvent } from './budget-catalog.js';
import { BudgetLedger } from './budget-ledger.js';
import { BudgetStore } from './budget-store.js';
import { accountingConfigSchema } from './config.js';
import { migrations } from './migrations/index.js';
import { ACCOUNTING_PERMISSIONS } from './permissions.js';
import { budgetRoutes } from './routes/budgets.js';
import { usageRoutes } from './routes/usage.js';
import { UsageFlusher } from './usage-flusher.js';
import { UsageQueue } from './usage-queue.js';
import { UsageStore } from './usage-store.js';

export { accountingConfigSchema, type AccountingConfig, type BudgetPeriod, type BudgetScope, type SeedBudget } from './config.js';
export type { Budget } from './budget-store.js';
export type { UsageRecord, UsageStatus } from './usage-record.js';
export { BUDGETS_CHANGED_TOPIC, type BudgetsChangedEvent } from './budget-catalog.js';
export { costMicros } from './money.js';
export { periodWindow, type PeriodWindow } from './budget-period.js';
export { USAGE_READ, ACCOUNTING_PERMISSIONS } from './permissions.js';
export { USAGE_PENDING_KEY, USAGE_BATCHES_KEY } from './usage-queue.js';

/** The flush task's name (`accounting/usage-flush` in the worker's log). */
export const USAGE_FLUSH_TASK = 'usage-flush';

export default defineModule({
  id: 'accounting',
  version: '0.1.0',
  dependsOn: ['auth', 'routing', 'inference'],
  config: accountingConfigSchema,
  permissions: ACCOUNTING_PERMISSIONS,
  migrations,
  async setup(ctx) {
    const config = ctx.config;
    const auth = ctx.use(authServiceRef);
    const store = new BudgetStore(ctx.db, ctx.table('budgets'));
    const catalog = new BudgetCatalog(store);
    const holdTtlMs = config.hold.ttlSeconds * 1000;
    // A lease outlives its last renewal by twice the hold TTL and is drawn on only while one
    // hold TTL of it is left, so a request admitted on credit is covered as long as a hold.
    const ledger = new BudgetLedger(ctx.redis, { id: `lease:${ctx.kernel.instanceId}`, share: config.lease.share, requests: config.lease.requests, ttlMs: 2 * holdTtlMs, holdTtlMs });
    // Handing credit back is best effort: credit not handed back expires with the lease.
    const handBack = (returning: Promise<void>) =>
      returning.catch((err) => ctx.log.warn({ err }, 'Could not hand lease credit back to the budgets; it expires with the lease'));
    const usage = new UsageStore(ctx.db, ctx.dialect, ctx.table('usage'));
    const admin = new BudgetAdmin({ store, catalog, events: ctx.events, auth, instanceId: ctx.kernel.instanceId, log: ctx.log });

    const flusher = new UsageFlusher(new UsageQueue(ctx.redis), usage, { ...config.flush, staleBatchMs: config.flush.staleBatchSeconds * 1000 }, ctx.log);
    ctx.task(USAGE_FLUSH_TASK, { everyMs: config.flush.everyMs }, async ({ signal }) => {
      const { records } = await flusher.flush(signal);
      if (records > 0) ctx.log.debug({ records }, 'Flushed usage records');
    });

    const serving = ctx.kernel.mode === 'http' || ctx.kernel.mode === 'grpc';
    let unsubscribe: (() => Promise<void>) | undefined;
    let unregister: (() => void) | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    if (serving) {
      // A changed budget (a lower amount, say) must not be spent on credit granted under the old one.
      catalog.onReload(() => void handBack(ledger.retire(Date.now())));
      const idleMs = config.lease.idleSeconds * 1000;
      idleTimer = setInterval(() => void handBack(ledger.returnIdle(idleMs, Date.now())), Math.max(1000, idleMs / 2)).unref();
      unregister = ctx.use(inferenceHooksRef).register(createAccountingHook({ catalog, ledger, config, log: ctx.log }));
      unsubscribe = await ctx.events.subscribe<BudgetsChangedEvent>(BUDGETS_CHANGED_TOPIC, async (message) => {
        if (message.payload.origin !== ctx.kernel.instanceId) await catalog.reload();
      });
      ctx.mount('/v1/admin/budgets', budgetRoutes({ auth, store, ledger, admin }));
      ctx.mount('/v1/usage', usageRoutes({ auth, usage, catalog, ledger }));
      ctx.onReady(async () => {
        await catalog.reload();
        await admin.seed(config.budgets);
      });
    }

    return {
      async stop() {
        unregister?.();
        await unsubscribe?.();
        clearInterval(idleTimer);
        // The kernel stops modules after the requests: no more draws, so all credit goes back.
        await handBack(ledger.returnIdle(0, Date.now()));
      },
    };
  },
});
