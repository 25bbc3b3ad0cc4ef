/**
 * @module upstream-errors
 * What went wrong in an attempt, and what the client is told. Dispatchers throw
 * `UpstreamError`; anything else they throw is classified here. Decisions: an upstream 400 or
 * 422 becomes VALIDATION_ERROR 400 (the request itself was rejected; a 502 would invite the
 * client to retry the same bad request), 413 becomes PAYLOAD_TOO_LARGE, every other
 * non-retryable status UPSTREAM_ERROR 502. Upstream 401/403 messages are never passed on:
 * some providers echo part of the key. Any message is scrubbed of the provider's key anyway.
 */
import { GatewayError, isGatewayError } from '@scaigrid/kernel';
import { UpstreamError } from './dispatcher.js';

export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError || (err instanceof Error && err.name === 'UpstreamError' && 'retryable' in err);
}

/** Normalizes a dispatcher failure that was not our timeout nor the client leaving. */
export function classifyFailure(err: unknown): UpstreamError | GatewayError {
  if (isUpstreamError(err) || isGatewayError(err)) return err;
  // undici's fetch rejects with TypeError('fetch failed') on refused/reset connections.
  if (err instanceof TypeError && /fetch failed|ECONN|socket|network/i.test(`${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`)) {
    return new UpstreamError('connect', `Connection failed: ${err.message}`);
  }
  return new UpstreamError('protocol', `Dispatcher failed: ${(err as Error)?.message ?? String(err)}`);
}

function scrub(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
}

/** The client-facing error for a final failure of `slug`. */
export function toGatewayError(err: UpstreamError | GatewayError, slug: string, secret?: string): GatewayError {
  if (isGatewayError(err)) return err;
  const said = scrub(err.upstreamMessage ?? err.message, secret);
  const headers: Record<string, string> = err.retryAfter !== undefined ? { 'Retry-After': String(Math.ceil(err.retryAfter)) } : {};
  const details = err.status !== undefined ? { upstreamStatus: err.status } : undefined;
  if (err.kind === 'timeout') {
    return new GatewayError('UPSTREAM_TIMEOUT', `Model '${slug}': the upstream did not answer in time (${said}).`);
  }
  if (err.kind === 'http' && err.status !== undefined && !err.retryable) {
    if (err.status === 400 || err.status === 422) {
      return new GatewayError('VALIDATION_ERROR', `Model '${slug}': the upstream rejected the request: ${said}`, { details });
    }
    if (err.status === 413) return new GatewayError('PAYLOAD_TOO_LARGE', `Model '${slug}': the upstream found the request too large: ${said}`, { details });
    if (err.status === 401 || err.status === 403) {
      return new GatewayError('UPSTREAM_ERROR', `Model '${slug}': the upstream refused the gateway's credentials (HTTP ${err.status}); an operator must check the provider's API key.`, { details });
    }
  }
  const status = err.status !== undefined ? ` (HTTP ${err.status})` : '';
  return new GatewayError('UPSTREAM_ERROR', `Model '${slug}': the upstream failed${status}: ${said}`, { headers, details });
}
