/**
 * @module audit-middleware
 * The `observe`-phase middleware: it wraps every request, and for a mutating one (POST, PUT,
 * PATCH, DELETE) outside the excluded prefixes it queues an audit row once the response is
 * ready — whoever the caller turned out to be (authentication runs inside), whatever the
 * status (errors included). The body is read from a clone before the request goes on, and
 * only when it is small and of known length.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { newUlid } from '@scaigrid/kernel';
import type { AuditRecord } from './audit-record.js';
import type { AuditWriter } from './audit-writer.js';
import { summarizeBody } from './redact.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuditMiddlewareOptions {
  writer: AuditWriter;
  excludePaths: readonly string[];
  maxBodyBytes: number;
  maxSummaryChars: number;
}

export function isExcluded(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

export function auditMiddleware(options: AuditMiddlewareOptions): MiddlewareHandler {
  const { writer, excludePaths, maxBodyBytes, maxSummaryChars } = options;
  const audited = async (c: Context, next: Next, method: string, path: string): Promise<void> => {
    const contentType = c.req.header('content-type');
    const length = Number(c.req.header('content-length') ?? NaN);
    let raw: string | undefined;
    let note: string | null = null;
    if (Number.isFinite(length) && length > 0 && length <= maxBodyBytes) {
      raw = await c.req.raw.clone().text().catch(() => undefined);
    } else if (Number.isFinite(length) ? length > maxBodyBytes : c.req.raw.body !== null) {
      note = JSON.stringify({ _note: Number.isFinite(length) ? `body of ${length} bytes not recorded` : 'body of unknown length not recorded' });
    }

    await next();

    const caller = c.get('caller');
    const record: AuditRecord = {
      id: newUlid(),
      at: Date.now(),
      actorKind: caller?.kind ?? 'anonymous',
      actorId: caller ? (caller.userId ?? caller.keyId ?? caller.name ?? null) : null,
      keyId: caller?.keyId ?? null,
      userId: caller?.userId ?? null,
      tenantId: caller?.tenantId ?? null,
      partnerId: caller?.partnerId ?? null,
      method,
      path: path.slice(0, 500),
      status: c.res.status,
      requestId: c.get('requestId') ?? '',
      summary: note ?? summarizeBody(raw, contentType, maxSummaryChars),
    };
    writer.enqueue(record);
  };
  // Not async: a request that is not audited (every inference call, by default) passes on
  // `next()`'s promise instead of wrapping it in one of its own.
  return (c, next) => {
    const method = c.req.method;
    const path = c.req.path;
    if (!MUTATING.has(method) || isExcluded(path, excludePaths)) return next();
    return audited(c, next, method, path);
  };
}
