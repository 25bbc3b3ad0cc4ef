/**
 * @module openai/openai-errors
 * Native error codes → OpenAI's error shape `{error: {message, type, param, code}}` and the
 * statuses OpenAI uses (https://platform.openai.com/docs/guides/error-codes), so OpenAI's
 * SDKs raise their usual exceptions (they pick the class by status). The one status that
 * differs from the native API: BUDGET_EXCEEDED is 402 natively but 429 `insufficient_quota`
 * here, as OpenAI reports an exhausted quota. Headers such as Retry-After are kept.
 */
import type { ErrorRenderer } from '@scaigrid/kernel';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface OpenAIErrorMapping {
  status: number;
  type: string;
  code: string | null;
}

const BY_CODE: Readonly<Record<string, Omit<OpenAIErrorMapping, 'status'> & { status?: number }>> = {
  VALIDATION_ERROR: { type: 'invalid_request_error', code: null },
  UNAUTHENTICATED: { type: 'invalid_request_error', code: 'invalid_api_key' },
  FORBIDDEN: { type: 'invalid_request_error', code: 'permission_denied' },
  NOT_FOUND: { type: 'invalid_request_error', code: 'not_found' },
  MODEL_NOT_FOUND: { type: 'invalid_request_error', code: 'model_not_found' },
  PAYLOAD_TOO_LARGE: { type: 'invalid_request_error', code: 'request_too_large' },
  RATE_LIMITED: { type: 'requests', code: 'rate_limit_exceeded' },
  BUDGET_EXCEEDED: { type: 'insufficient_quota', code: 'insufficient_quota', status: 429 },
  CONFLICT: { type: 'invalid_request_error', code: 'conflict' },
  UPSTREAM_ERROR: { type: 'server_error', code: 'upstream_error' },
  UPSTREAM_UNAVAILABLE: { type: 'server_error', code: 'service_unavailable' },
  UPSTREAM_TIMEOUT: { type: 'server_error', code: 'timeout' },
  DRAINING: { type: 'server_error', code: 'service_unavailable' },
  INTERNAL: { type: 'server_error', code: null },
};

function typeForStatus(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export interface NormalizedError {
  code: string;
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

/** The OpenAI status and body for a native error. */
export function toOpenAIError(error: NormalizedError): { status: number; body: OpenAIErrorBody } {
  const mapping = BY_CODE[error.code];
  const status = mapping?.status ?? error.status;
  const param = typeof error.details?.param === 'string' ? error.details.param : null;
  return {
    status,
    body: {
      error: {
        message: error.message,
        type: mapping?.type ?? typeForStatus(status),
        param,
        code: mapping ? mapping.code : error.code.toLowerCase(),
      },
    },
  };
}

/** The `renderError` of the `/oai/v1` mount. */
export const renderOpenAIError: ErrorRenderer = (error) => {
  const { status, body } = toOpenAIError(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers },
  });
};
