/**
 * @module anthropic/anthropic-errors
 * Native error codes → Anthropic's error shape `{type: 'error', error: {type, message}}` and
 * the statuses of the API reference "Errors", so Anthropic's SDKs raise their usual classes
 * (they pick the class by status: 400 BadRequest, 401 Authentication, 403 PermissionDenied,
 * 404 NotFound, 429 RateLimit, ≥500 InternalServer). Choices where the native API differs:
 * - BUDGET_EXCEEDED (402 natively) is 429 `rate_limit_error`: Anthropic has no 402, and a
 *   spent quota is a rate limit to its clients.
 * - An upstream's own 429 (after failover ran out of backends) stays a 429 `rate_limit_error`,
 *   and an upstream 529/503 a 529 `overloaded_error`, so clients back off as they would with
 *   Anthropic itself.
 * - UPSTREAM_UNAVAILABLE (every breaker open) is 529 `overloaded_error`, Anthropic's status
 *   for "try again shortly"; the SDK retries 529 like any ≥500 and honours Retry-After.
 *   DRAINING keeps 503 (load balancers act on it) with type `overloaded_error`.
 * - Other upstream failures keep their 502/504 with type `api_error`.
 * Headers (Retry-After, rate-limit headers) are kept, and the request id is also sent as
 * `request-id`, the header the SDK reads into `error.requestID`.
 */
import type { ErrorRenderer } from '@scaigrid/kernel';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}

const BY_CODE: Readonly<Record<string, { type: AnthropicErrorType; status?: number }>> = {
  VALIDATION_ERROR: { type: 'invalid_request_error' },
  CONFLICT: { type: 'invalid_request_error' },
  UNAUTHENTICATED: { type: 'authentication_error' },
  FORBIDDEN: { type: 'permission_error' },
  NOT_FOUND: { type: 'not_found_error' },
  MODEL_NOT_FOUND: { type: 'not_found_error' },
  PAYLOAD_TOO_LARGE: { type: 'request_too_large' },
  RATE_LIMITED: { type: 'rate_limit_error' },
  BUDGET_EXCEEDED: { type: 'rate_limit_error', status: 429 },
  UPSTREAM_UNAVAILABLE: { type: 'overloaded_error', status: 529 },
  DRAINING: { type: 'overloaded_error' },
  UPSTREAM_ERROR: { type: 'api_error' },
  UPSTREAM_TIMEOUT: { type: 'api_error' },
  INTERNAL: { type: 'api_error' },
};

function typeForStatus(status: number): AnthropicErrorType {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export interface NormalizedError {
  code: string;
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

/** The Anthropic status and body for a native error. */
export function toAnthropicError(error: NormalizedError, requestId?: string): { status: number; body: AnthropicErrorBody } {
  const upstreamStatus = error.code === 'UPSTREAM_ERROR' ? error.details?.upstreamStatus : undefined;
  let status: number;
  let type: AnthropicErrorType;
  if (upstreamStatus === 429) [status, type] = [429, 'rate_limit_error'];
  else if (upstreamStatus === 529 || upstreamStatus === 503) [status, type] = [529, 'overloaded_error'];
  else {
    const mapping = BY_CODE[error.code];
    status = mapping?.status ?? error.status;
    type = mapping?.type ?? typeForStatus(status);
  }
  const body: AnthropicErrorBody = { type: 'error', error: { type, message: error.message } };
  if (requestId) body.request_id = requestId;
  return { status, body };
}

/** The `renderError` of the `/anthropic/v1` mount. */
export const renderAnthropicError: ErrorRenderer = (error) => {
  const { status, body } = toAnthropicError(error, error.requestId);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...error.headers };
  if (error.requestId) headers['request-id'] = error.requestId;
  return new Response(JSON.stringify(body), { status, headers });
};
