/**
 * @module upstream-http
 * The HTTP plumbing every provider dispatcher needs and should not rewrite: POST a JSON body
 * through undici's `dispatch()` over the kernel's keep-alive pool, pass the call's abort signal,
 * and turn every way an upstream can fail (refused connection, timeout, HTTP error status,
 * unparsable body) into an `UpstreamError` with the status, the upstream's own message (with
 * our credentials scrubbed), Retry-After and the retryable flag. Provider-neutral on purpose:
 * the Anthropic dispatcher and the OpenAI-compatible family share it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher as UndiciDispatcher } from 'undici';
import { UpstreamError, type DispatchCall } from './dispatcher.js';
import { abortSignalOf } from './attempt-signal.js';
import { UpstreamBody } from './upstream-body.js';

export interface UpstreamRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** Used in error messages, e.g. `openai provider 'oai-main'`. */
  label: string;
}

/**
 * An upstream's answer once its status and headers are in. `body` is read once: whole with
 * `text()`, or chunk by chunk with `for await` (leaving the loop early closes the request).
 */
export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

/**
 * `origin` and `path` of each upstream URL, parsed once: a provider has a handful of URLs, and
 * parsing one per request was a visible share of a request's cost. Bounded in case URLs carry
 * per-request parts.
 */
const parsedUrls = new Map<string, { origin: string; path: string }>();
const MAX_PARSED_URLS = 1000;

function originAndPath(url: string): { origin: string; path: string } {
  let parsed = parsedUrls.get(url);
  if (!parsed) {
    const u = new URL(url);
    parsed = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
    parsedUrls.set(url, parsed);
  }
  return parsed;
}

/** Upstream error bodies can be large HTML pages; we keep only what a message needs. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/**
 * Sends the request and resolves once the upstream answered with a 2xx status; the body is
 * left unread so streams can be consumed chunk by chunk. Non-2xx statuses throw.
 * @example const res = await postJson(call, { url, headers, body, label }); const json = await readJson(res, call, label);
 */
export function postJson(call: DispatchCall, upstream: UpstreamRequest): Promise<UpstreamResponse> {
  const timeoutMs = call.target.provider.timeoutMs;
  const idleTimeout = timeoutMs > 0 && Number.isFinite(timeoutMs) ? timeoutMs : undefined;
  const signal = abortSignalOf(call);
  if (signal.aborted) return Promise.reject(toUpstreamError(signal.reason, call, upstream.label));
  const { origin, path } = originAndPath(upstream.url);
  return new Promise<UpstreamResponse>((resolve, reject) => {
    let controller: UndiciDispatcher.DispatchController | undefined;
    let body: UpstreamBody | undefined;
    // Until the request starts there is nothing to abort; onRequestStart checks the signal.
    const onAbort = () => controller?.abort(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    // Once the exchange is over the handler lets go of undici's controller and of the body. V8's
    // young-generation collector keeps alive whatever the old generation points to, dead or
    // not, until the next full collection; a handler still reachable that way kept the body, the
    // stream readers awaiting it and through them the whole request alive, and moved to the old
    // generation. Letting go: ~9.4 → ~6.3 KB promoted per streamed request at 16 connections,
    // CPU −13 % (bench/README.md, "Garbage that lives too long").
    const done = () => {
      signal.removeEventListener('abort', onAbort);
      controller = undefined;
    };
    const handler: UndiciDispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (signal.aborted) started.abort(signal.reason as Error);
      },
      onResponseStart(started, statusCode, headers) {
        // 1xx answers are informational; the real one follows.
        if (statusCode < 200) return;
        body = new UpstreamBody(started);
        const response: UpstreamResponse = { statusCode, headers, body };
        if (statusCode < 300) resolve(response);
        else upstreamErrorFromResponse(response, call, upstream.label).then(reject, reject);
      },
      onResponseData(_controller, chunk) {
        body?.push(chunk);
      },
      onResponseEnd() {
        done();
        body?.end();
        body = undefined;
      },
      onResponseError(_controller, err) {
        done();
        // Before the headers the call itself failed; after them, whoever reads the body sees it.
        if (body) body.fail(err);
        else reject(toUpstreamError(err, call, upstream.label));
        body = undefined;
      },
    };
    try {
      call.http.dispatcher.dispatch(
        {
          origin,
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...upstream.headers },
          body: JSON.stringify(upstream.body),
          // undici's own timeouts bound time-to-headers and idle gaps between body chunks; the
          // whole-call deadline is the dispatch plugin's, delivered through call.signal.
          headersTimeout: idleTimeout,
          bodyTimeout: idleTimeout,
        },
        handler,
      );
    } catch (err) {
      done();
      reject(toUpstreamError(err, call, upstream.label));
    }
  });
}

/** Reads a whole JSON body; a broken connection or invalid JSON becomes an UpstreamError. */
export async function readJson<T>(response: UpstreamResponse, call: DispatchCall, label: string): Promise<T> {
  let text: string;
  try {
    text = await response.body.text();
  } catch (err) {
    throw toUpstreamError(err, call, label);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UpstreamError('protocol', `${label} returned a body that is not JSON`, response.statusCode);
  }
}

/**
 * Maps a thrown transport error. A client abort is not an upstream failure, so it is rethrown
 * as the signal's reason; a timeout (ours or undici's) becomes kind `timeout`; anything else on
 * the wire (refused, reset, closed mid-body) becomes kind `connect`.
 */
export function toUpstreamError(err: unknown, call: DispatchCall, label: string): unknown {
  if (err instanceof UpstreamError) return err;
  const signal = abortSignalOf(call);
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (isTimeoutReason(reason)) return new UpstreamError('timeout', `${label} did not answer in time`);
    return reason ?? err;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new UpstreamError('timeout', `${label} timed out (${String(code)})`);
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new UpstreamError('connect', `${label} connection failed: ${detail}${typeof code === 'string' ? ` (${code})` : ''}`);
}

function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

/** Builds the UpstreamError for a non-2xx response, consuming (at most part of) its body. */
export async function upstreamErrorFromResponse(response: UpstreamResponse, call: DispatchCall, label: string): Promise<UpstreamError> {
  const status = response.statusCode;
  const raw = await readCapped(response.body);
  const upstreamMessage = redactSecrets(extractErrorMessage(raw) ?? (raw.trim().slice(0, 500) || `HTTP ${status}`), call.target.provider.apiKey);
  const retryAfter = parseRetryAfter(response.headers);
  return new UpstreamError('http', `${label} returned HTTP ${status}: ${upstreamMessage}`, status, undefined, upstreamMessage, retryAfter);
}

async function readCapped(body: UpstreamResponse['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buf);
      size += buf.length;
      if (size >= MAX_ERROR_BODY_BYTES) break;
    }
  } catch {
    // A body cut short still tells us the status; keep what arrived.
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES);
}

/**
 * The message inside the common error envelopes: OpenAI and Anthropic `{error:{message}}`,
 * `{error:"..."}`, Mistral/FastAPI `{message}` or `{detail}`.
 */
export function extractErrorMessage(raw: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const body = json as Record<string, unknown>;
  const error = body.error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>).message === 'string') {
    return (error as Record<string, string>).message;
  }
  if (typeof body.message === 'string') return body.message;
  if (typeof body.detail === 'string') return body.detail;
  if (body.detail !== undefined) return JSON.stringify(body.detail).slice(0, 500);
  return undefined;
}

/**
 * Upstream messages may echo (part of) the key we sent, e.g. OpenAI's "Incorrect API key
 * provided: sk-...". They are shown to clients, so the key and such echoes are removed.
 */
export function redactSecrets(message: string, apiKey: string | undefined): string {
  let out = message;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
  return out.replace(/(API key provided:?\s*)\S+/gi, '$1[redacted]');
}

/** Seconds to wait, from `retry-after-ms`, `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>): number | undefined {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const ms = Number(header('retry-after-ms'));
  if (header('retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const value = header('retry-after');
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
