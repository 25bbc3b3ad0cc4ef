/**
 * @module stores/redact-url
 * Store URLs carry credentials (`mysql://user:secret@host`, `s3://…?secretAccessKey=…`), and
 * they end up in error messages and logs. Every store names its URL only through `redactUrl`,
 * so a failed boot never prints a password.
 */

const SECRET_PARAMS = /([?&](?:secretAccessKey|password|pass|secret|token|sessionToken)=)[^&#]*/gi;

/**
 * The URL with the password of its authority and any secret-looking query parameter replaced by `***`.
 * @example redactUrl('mysql://root:pw@db:3306/x') // 'mysql://root:***@db:3306/x'
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:?#]*):[^/?#]*@/i, '$1:***@')
    .replace(SECRET_PARAMS, '$1***');
}

/** The scheme of a store URL (`mysql`, `sqlite`, …) for error messages, or the whole redacted URL when it has none. */
export function urlScheme(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  return match ? match[1].toLowerCase() : redactUrl(url);
}
