/**
 * @module audit-service
 * `audit.service`, for modules that change things outside an HTTP request (CLI commands,
 * workers) and want them in the same trail, and for tests that must wait for the writer.
 */
import { serviceRef } from '@scaigrid/kernel';
import { newUlid } from '@scaigrid/kernel';
import type { AuditRecord } from './audit-record.js';
import type { AuditWriter } from './audit-writer.js';
import { redact } from './redact.js';

export interface AuditEntryInput {
  /** What acted, e.g. `cli` or `service`. */
  actorKind: string;
  actorId?: string;
  tenantId?: string;
  /** What happened, stored as the method (e.g. `POST`) and path (e.g. `cli:keys create`). */
  method: string;
  path: string;
  status?: number;
  requestId?: string;
  /** Redacted before it is stored. */
  details?: Record<string, unknown>;
}

export interface AuditService {
  record(entry: AuditEntryInput): void;
  /** Resolves once every queued row is in the database (or logged as lost). */
  flush(): Promise<void>;
}

export const auditServiceRef = serviceRef<AuditService>('audit.service');

export function createAuditService(writer: AuditWriter): AuditService {
  return Object.freeze({
    record(entry: AuditEntryInput) {
      const record: AuditRecord = {
        id: newUlid(),
        at: Date.now(),
        actorKind: entry.actorKind,
        actorId: entry.actorId ?? null,
        keyId: null,
        userId: null,
        tenantId: entry.tenantId ?? null,
        partnerId: null,
        method: entry.method.slice(0, 8),
        path: entry.path.slice(0, 500),
        status: entry.status ?? 0,
        requestId: entry.requestId ?? '',
        summary: entry.details === undefined ? null : JSON.stringify(redact(entry.details)),
      };
      writer.enqueue(record);
    },
    flush: () => writer.flush(),
  });
}
