/**
 * @module call-options
 * Reading a dispatch call's provider and backend options, shared by every dispatcher
 * package: extra headers, an option with backend-over-provider precedence, URL joining.
 */
import type { DispatchCall } from './dispatcher.js';

/** String-valued `headers` from provider options (e.g. a proxy's routing header), lower-cased. */
export function extraHeaders(call: DispatchCall): Record<string, string> {
  const configured = call.target.provider.options.headers;
  const out: Record<string, string> = {};
  if (typeof configured !== 'object' || configured === null) return out;
  for (const [name, value] of Object.entries(configured)) if (typeof value === 'string') out[name.toLowerCase()] = value;
  return out;
}

/** A backend option wins over the provider's option of the same name. */
export function providerOption(call: DispatchCall, name: string): unknown {
  return call.target.options[name] ?? call.target.provider.options[name];
}

/** `joinUrl('https://api.openai.com/v1/', '/chat/completions')` → `https://api.openai.com/v1/chat/completions`. */
export function joinUrl(baseUrl: string, path: string): string {
  // Every request joins its provider's URL: the regex only for a base that ends in a slash.
  return `${baseUrl.endsWith('/') ? baseUrl.replace(/\/+$/, '') : baseUrl}${path}`;
}
