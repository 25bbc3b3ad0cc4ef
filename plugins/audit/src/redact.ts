/**
 * @module redact
 * The redacted summary of a request body. Values under names that smell of secrets are
 * replaced whatever they hold, and any string that looks like a credential (an `sgk_` API
 * key, a JWT, a `Bearer` header value) is replaced wherever it appears, so a secret sent
 * under an innocent name is not stored either. Long strings, arrays and deep objects are cut
 * so a summary stays a summary.
 */

export const REDACTED = '[REDACTED]';

const SECRET_NAME = /secret|key|password|passwd|token|authorization|credential|api_key|cookie|private/i;
const SECRET_VALUE = [
  /sgk_[A-Za-z0-9_-]{8,}/,
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/,
  /bearer\s+\S+/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

const MAX_DEPTH = 6;
const MAX_STRING = 256;
const MAX_ITEMS = 50;

export function looksSecret(value: string): boolean {
  return SECRET_VALUE.some((pattern) => pattern.test(value));
}

/** A copy of `value` with every secret replaced by `[REDACTED]`. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    if (looksSecret(value)) return REDACTED;
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => redact(item, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    out[name] = SECRET_NAME.test(name) ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}

/**
 * The stored summary of a raw body: redacted JSON, or a note saying why there is none. Never
 * the raw text of a body that is not JSON (it could be anything).
 */
export function summarizeBody(raw: string | undefined, contentType: string | undefined, maxChars: number): string | null {
  if (raw === undefined || raw.length === 0) return null;
  if (!contentType?.toLowerCase().includes('json')) return JSON.stringify({ _note: `non-JSON body (${raw.length} bytes) not recorded` });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return JSON.stringify({ _note: `invalid JSON body (${raw.length} bytes) not recorded` });
  }
  const summary = JSON.stringify(redact(parsed));
  if (summary.length <= maxChars) return summary;
  // Keep the shape readable: top-level names only.
  const names = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed).slice(0, 50) : [];
  const short = JSON.stringify({ _note: `summary of ${summary.length} chars cut`, fields: names });
  return short.length <= maxChars ? short : JSON.stringify({ _note: `summary of ${summary.length} chars cut` });
}
