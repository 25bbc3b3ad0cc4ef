/**
 * @module stores/redis-stream-entry
 * What the Redis event hub's readers share about stream entries: their shape as ioredis returns
 * them, how one becomes an EventMessage, and how two entry ids compare.
 */
import type { EventMessage } from './types.js';

/** `[id, [field, value, …]]`; fields are null for an entry trimmed while it was still pending. */
export type StreamEntry = [id: string, fields: string[] | null];

export function toEventMessage(topic: string, [id, fields]: StreamEntry): EventMessage {
  const record: Record<string, string> = {};
  for (let i = 0; fields && i < fields.length; i += 2) record[fields[i]] = fields[i + 1];
  return { id, topic, payload: JSON.parse(record.payload ?? 'null'), source: record.source ?? '', time: Number(record.time ?? 0) };
}

/**
 * Orders stream ids (`<ms>-<seq>`) as Redis does: negative when `a` comes first.
 * @example compareStreamIds('1700000000000-2', '1700000000000-10') // < 0
 */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = splitId(a);
  const [bMs, bSeq] = splitId(b);
  return aMs !== bMs ? aMs - bMs : aSeq - bSeq;
}

function splitId(id: string): [number, number] {
  const dash = id.indexOf('-');
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}
