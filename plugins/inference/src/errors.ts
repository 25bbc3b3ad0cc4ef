/**
 * @module errors
 * Anything that can go wrong on the request path → a GatewayError with a stable code, so
 * hooks, the OpenAI adapter and the native adapter all see the same thing. Upstream messages
 * are kept (they never hold our credentials); unknown errors become INTERNAL with no detail.
 */
import { GatewayError, isGatewayError } from '@scaigrid/kernel';

/** The client went away; 499 is the de-facto status for it (nginx) and never reaches the client. */
export const CLIENT_CLOSED = 'CLIENT_CLOSED';

interface UpstreamLike {
  name: string;
  kind: 'http' | 'connect' | 'timeout' | 'protocol';
  message: string;
  status?: number;
  upstreamMessage?: string;
  retryAfter?: number;
}

function isUpstreamError(err: unknown): err is UpstreamLike {
  return err instanceof Error && err.name === 'UpstreamError' && typeof (err as Partial<UpstreamLike>).kind === 'string';
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'ResponseAborted');
}

export function toGatewayError(err: unknown, clientAborted = false): GatewayError {
  // Once the client is gone, whatever the upstream call threw (often the abort reason itself) is that.
  if (clientAborted) {
    return new GatewayError(CLIENT_CLOSED, 'The client closed the connection before the answer was complete.', { status: 499, cause: err });
  }
  if (isGatewayError(err)) return err;
  if (isUpstreamError(err)) {
    const detail = err.upstreamMessage ? `: ${err.upstreamMessage}` : '';
    if (err.kind === 'timeout') return new GatewayError('UPSTREAM_TIMEOUT', `The upstream provider timed out${detail}.`, { cause: err });
    const headers: Record<string, string> = err.retryAfter !== undefined ? { 'Retry-After': String(err.retryAfter) } : {};
    return new GatewayError('UPSTREAM_ERROR', `The upstream provider failed (${err.message})${detail}.`, { headers, cause: err });
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new GatewayError('UPSTREAM_TIMEOUT', 'The upstream provider timed out.', { cause: err });
  }
  if (isAbort(err)) return new GatewayError('UPSTREAM_ERROR', 'The upstream connection was aborted.', { cause: err });
  return new GatewayError('INTERNAL', 'Internal error; see the gateway log for this request id.', { cause: err });
}
