/**
 * @module @scaigrid/plugin-audit
 * The audit trail: every mutating request outside model traffic is recorded after its
 * response — time, actor, tenant, method, path, status, request id and a redacted summary of
 * the body — written off the request path. `GET /v1/admin/audit` reads it behind the tenancy
 * wall; a worker task deletes rows past the retention period.
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth';
import { auditMiddleware } from './audit-middleware.js';
import { createAuditService, auditServiceRef } from './audit-service.js';
import { AuditStore } from './audit-store.js';
import { AuditWriter } from './audit-writer.js';
import { auditConfigSchema } from './config.js';
import { migrations } from './migrations/index.js';
import { purgeExpired } from './retention.js';
import { AUDIT_READ, auditRoutes } from './routes.js';

export * from './audit-record.js';
export * from './audit-service.js';
export { redact, summarizeBody, looksSecret, REDACTED } from './redact.js';
export { AUDIT_READ } from './routes.js';
export { auditConfigSchema, type AuditConfig } from './config.js';

export default defineModule({
  id: 'audit',
  version: '0.1.0',
  dependsOn: ['auth'],
  config: auditConfigSchema,
  permissions: { [AUDIT_READ]: "Read the audit trail (a tenant or partner admin: its tenants' rows)." },
  migrations,
  setup(ctx) {
    const config = ctx.config;
    const store = new AuditStore(ctx.db, ctx.table('events'));
    const writer = new AuditWriter(store, ctx.log, config.maxQueuedRows);
    ctx.provide(auditServiceRef, createAuditService(writer));

    ctx.middleware('observe', auditMiddleware({ writer, excludePaths: config.excludePaths, maxBodyBytes: config.maxBodyBytes, maxSummaryChars: config.maxSummaryChars }));
    ctx.mount('/v1/admin/audit', auditRoutes(ctx.use(authServiceRef), store));
    ctx.task('purge-expired', { cron: config.retentionSchedule }, async (task) => {
      await purgeExpired(store, { retentionDays: config.retentionDays, batchSize: config.purgeBatchSize, log: ctx.log }, task);
    });
    return {
      // Rows of the last requests are written before the database closes.
      stop: () => writer.flush(),
    };
  },
});
