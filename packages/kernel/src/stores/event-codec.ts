/**
 * @module stores/event-codec
 * What both event hubs agree on: which topic names are valid (they become Redis keys) and how
 * a payload is encoded, so that a module behaves the same on the embedded and the Redis bus.
 */

/** Topics become Redis keys; keep them to a safe alphabet. Throws naming the topic otherwise. */
export function assertTopic(topic: string): string {
  if (typeof topic !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(topic)) {
    throw new Error(`Event topic '${String(topic)}' is invalid: use letters, digits, '.', '_', ':' or '-' (e.g. 'auth.key-revoked').`);
  }
  return topic;
}

/** Payloads cross processes as JSON; serialising in process too keeps both modes equal (Dates become strings, handlers get copies). */
export function encodePayload(payload: unknown): string {
  return JSON.stringify(payload) ?? 'null';
}
