/**
 * @module audit-record
 * One audited request as stored and as returned by the API.
 */

export interface AuditRecord {
  /** ULID: sortable by time, the API's cursor. */
  readonly id: string;
  /** Epoch ms when the response was sent. */
  readonly at: number;
  /** `api_key`, `jwt`, `service`, or `anonymous` for a request without credentials. */
  readonly actorKind: string;
  /** The user id when there is one, else the key id, else the service token name. */
  readonly actorId: string | null;
  readonly keyId: string | null;
  readonly userId: string | null;
  readonly tenantId: string | null;
  readonly partnerId: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly requestId: string;
  /** Redacted JSON summary of the request body, or null. */
  readonly summary: string | null;
}
