/**
 * @module usage-record
 * One dispatched request's usage, as queued in Redis (JSON) and stored in `accounting_usage`.
 * `id` is the accounting id (a ULID per dispatched request) and the table's primary key;
 * `requestId` is the gateway request id the client saw (clients may reuse theirs, so it is
 * not the key that makes writes exactly-once).
 */

export type UsageStatus = 'ok' | 'error' | 'aborted';

export interface UsageRecord {
  id: string;
  requestId: string;
  keyId: string | null;
  userId: string | null;
  tenantId: string | null;
  partnerId: string | null;
  /** The frontend model slug the caller asked for. */
  model: string;
  backendId: string | null;
  provider: string | null;
  tokensIn: number;
  tokensOut: number;
  costMicros: number;
  currency: string;
  latencyMs: number;
  status: UsageStatus;
  /** True when tokens were counted by the gateway because the provider reported none. */
  estimated: boolean;
  createdAt: number;
}

export interface UsageRow {
  id: string;
  request_id: string;
  key_id: string | null;
  user_id: string | null;
  tenant_id: string | null;
  partner_id: string | null;
  model: string;
  backend_id: string | null;
  provider: string | null;
  tokens_in: number;
  tokens_out: number;
  cost_micros: number;
  currency: string;
  latency_ms: number;
  status: string;
  estimated: number;
  created_at: number;
  day: string;
}

export function toRow(r: UsageRecord): UsageRow {
  return {
    id: r.id,
    request_id: r.requestId,
    key_id: r.keyId,
    user_id: r.userId,
    tenant_id: r.tenantId,
    partner_id: r.partnerId,
    model: r.model,
    backend_id: r.backendId,
    provider: r.provider,
    tokens_in: r.tokensIn,
    tokens_out: r.tokensOut,
    cost_micros: r.costMicros,
    currency: r.currency,
    latency_ms: r.latencyMs,
    status: r.status,
    estimated: r.estimated ? 1 : 0,
    created_at: r.createdAt,
    day: new Date(r.createdAt).toISOString().slice(0, 10),
  };
}

/** The usage API's JSON for a stored row (snake_case, money as micro-units and a decimal string). */
export function usageJson(row: Record<string, unknown>) {
  return {
    id: row.id,
    request_id: row.request_id,
    key_id: row.key_id,
    user_id: row.user_id,
    tenant_id: row.tenant_id,
    partner_id: row.partner_id,
    model: row.model,
    backend_id: row.backend_id,
    provider: row.provider,
    tokens_in: Number(row.tokens_in),
    tokens_out: Number(row.tokens_out),
    cost_micros: Number(row.cost_micros),
    currency: row.currency,
    latency_ms: Number(row.latency_ms),
    status: row.status,
    estimated: Number(row.estimated) === 1,
    created_at: new Date(Number(row.created_at)).toISOString(),
  };
}
