/**
 * @module stores/embedded-commands
 * The Redis commands that Lua scripts may call on the embedded (`memory://`) store, run
 * synchronously on ioredis-mock's own dataset so that the store's ordinary commands see what a
 * script wrote and the other way round. The values are kept the way ioredis-mock keeps them:
 * strings, hashes as plain objects of strings, lists as arrays, sets as `Set`s, sorted sets as
 * `Map<member, { score, value }>`; a key's expiry is a millisecond timestamp beside it.
 *
 * A hash, list or set is read and changed in place (`peek` and `put`, which
 * `patches/ioredis-mock@8.13.1.patch` adds), not through ioredis-mock's `get` and `set`, which
 * copy the whole value on every read and again on every write: a SADD to the second's set of
 * settled markers copied every member settled in that second, twice, so each settle cost more
 * the busier the second was. So a command checks all of its arguments before it changes
 * anything: a change made before an error would stay, where Redis makes none.
 *
 * Only the commands the gateway's scripts use are here; any other one fails the script with
 * an error that names it, so a new script finds out on its first test on the embedded store.
 * Replies follow Redis: integers as numbers, bulk strings as strings, nil as null, status
 * replies as `{ ok }`.
 */

/**
 * What ioredis-mock's `data` and `expires` offer (already scoped to the client's key prefix).
 * `peek` and `put` are the stored value itself, without `get`'s and `set`'s copies.
 */
export interface MockDataset {
  data: {
    get(key: string): unknown;
    set(key: string, value: unknown): void;
    peek(key: string): unknown;
    put(key: string, value: unknown): void;
    has(key: string): boolean;
    delete(key: string): void;
  };
  expires: { get(key: string): number | undefined; set(key: string, timestamp: number): void; delete(key: string): void; has(key: string): boolean };
}

export type CommandReply = number | string | null | { ok: string } | CommandReply[];

export class CommandError extends Error {}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

type Hash = Record<string, string>;
type SortedSet = Map<string, { score: number; value: string }>;

function integer(arg: string): number {
  const n = Number(arg);
  if (!Number.isInteger(n)) throw new CommandError('ERR value is not an integer or out of range');
  return n;
}

function score(arg: string): number {
  const n = Number(arg);
  if (Number.isNaN(n)) throw new CommandError('ERR value is not a valid float');
  return n;
}

/** A ZRANGEBYSCORE bound: `-inf`, `+inf`, `5` (inclusive) or `(5` (exclusive). */
function bound(arg: string): { value: number; exclusive: boolean } {
  const exclusive = arg.startsWith('(');
  const text = exclusive ? arg.slice(1) : arg;
  const value = text === '-inf' ? -Infinity : text === '+inf' || text === 'inf' ? Infinity : Number(text);
  if (Number.isNaN(value)) throw new CommandError('ERR min or max is not a float');
  return { value, exclusive };
}

/** Redis's range rule for LRANGE/LTRIM: negative counts from the end, both ends inclusive, clamped. */
function listRange(length: number, startArg: string, stopArg: string): [number, number] {
  let start = integer(startArg);
  let stop = integer(stopArg);
  if (start < 0) start = Math.max(0, length + start);
  if (stop < 0) stop = length + stop;
  return [start, Math.min(stop, length - 1)];
}

function formatScore(value: number): string {
  return value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
}

/** The commands, each given the dataset and its arguments as strings. */
export const embeddedCommands: Record<string, (db: MockDataset, args: string[]) => CommandReply> = {
  time() {
    const ms = Date.now();
    return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000)];
  },

  get(db, [key]) {
    const value = db.data.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'string') throw new CommandError(WRONGTYPE);
    return value;
  },

  set(db, [key, value, ...options]) {
    const flags = options.map((o) => o.toUpperCase());
    const exists = db.data.has(key);
    if ((flags.includes('NX') && exists) || (flags.includes('XX') && !exists)) return null;
    let ttlMs: number | undefined;
    for (const [unit, factor] of [['PX', 1], ['EX', 1000]] as const) {
      const at = flags.indexOf(unit);
      if (at === -1) continue;
      ttlMs = integer(options[at + 1] ?? '') * factor;
      if (ttlMs <= 0) throw new CommandError("ERR invalid expire time in 'set' command");
    }
    db.data.set(key, value);
    if (ttlMs !== undefined) db.expires.set(key, Date.now() + ttlMs);
    else if (!flags.includes('KEEPTTL')) db.expires.delete(key);
    return { ok: 'OK' };
  },

  incr(db, [key]) {
    return incrementBy(db, key, 1);
  },

  incrby(db, [key, by]) {
    return incrementBy(db, key, integer(by));
  },

  pexpire(db, [key, ms]) {
    return expireIn(db, key, integer(ms));
  },

  pexpireat(db, [key, at]) {
    return expireIn(db, key, integer(at) - Date.now());
  },

  /** Milliseconds the key has left: -2 when there is no such key, -1 when it does not expire. */
  pttl(db, [key]) {
    if (!db.data.has(key)) return -2;
    const at = db.expires.get(key);
    return at === undefined ? -1 : Math.max(0, at - Date.now());
  },

  expire(db, [key, seconds]) {
    return expireIn(db, key, integer(seconds) * 1000);
  },

  hget(db, [key, field]) {
    return hashOf(db, key)?.[field] ?? null;
  },

  hmget(db, [key, ...fields]) {
    const hash = hashOf(db, key);
    return fields.map((field) => hash?.[field] ?? null);
  },

  hset(db, [key, ...pairs]) {
    if (pairs.length === 0 || pairs.length % 2 !== 0) throw new CommandError("ERR wrong number of arguments for 'hset' command");
    const hash = hashOf(db, key) ?? {};
    let added = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      if (!Object.hasOwn(hash, pairs[i])) added++;
      hash[pairs[i]] = pairs[i + 1];
    }
    db.data.put(key, hash);
    return added;
  },

  hdel(db, [key, ...fields]) {
    const hash = hashOf(db, key);
    if (!hash) return 0;
    let removed = 0;
    for (const field of fields) {
      if (Object.hasOwn(hash, field)) {
        delete hash[field];
        removed++;
      }
    }
    if (Object.keys(hash).length === 0) db.data.delete(key);
    else db.data.put(key, hash);
    return removed;
  },

  hincrby(db, [key, field, by]) {
    const hash = hashOf(db, key) ?? {};
    const current = hash[field] === undefined ? 0 : Number(hash[field]);
    if (!Number.isInteger(current)) throw new CommandError('ERR hash value is not an integer');
    const next = current + integer(by);
    hash[field] = String(next);
    db.data.put(key, hash);
    return next;
  },

  lpush(db, [key, ...values]) {
    const list = listOf(db, key) ?? [];
    for (const value of values) list.unshift(value);
    db.data.put(key, list);
    return list.length;
  },

  rpush(db, [key, ...values]) {
    const list = listOf(db, key) ?? [];
    list.push(...values);
    db.data.put(key, list);
    return list.length;
  },

  lrange(db, [key, start, stop]) {
    const list = listOf(db, key) ?? [];
    const [from, to] = listRange(list.length, start, stop);
    return from > to ? [] : list.slice(from, to + 1);
  },

  ltrim(db, [key, start, stop]) {
    const list = listOf(db, key);
    if (!list) return { ok: 'OK' };
    const [from, to] = listRange(list.length, start, stop);
    const kept = from > to ? [] : list.slice(from, to + 1);
    if (kept.length === 0) db.data.delete(key);
    else db.data.put(key, kept);
    return { ok: 'OK' };
  },

  sadd(db, [key, ...members]) {
    if (members.length === 0) throw new CommandError("ERR wrong number of arguments for 'sadd' command");
    const set = setOf(db, key) ?? new Set<string>();
    let added = 0;
    for (const member of members) {
      if (!set.has(member)) added++;
      set.add(member);
    }
    db.data.put(key, set);
    return added;
  },

  zadd(db, [key, ...rest]) {
    if (rest.length === 0 || rest.length % 2 !== 0 || /^(NX|XX|GT|LT|CH|INCR)$/i.test(rest[0])) {
      throw new CommandError('ERR the embedded store supports ZADD key score member [score member ...] only');
    }
    const scores = rest.filter((_, i) => i % 2 === 0).map(score);
    const set = sortedSetOf(db, key) ?? new Map();
    let added = 0;
    for (let i = 0; i < rest.length; i += 2) {
      if (!set.has(rest[i + 1])) added++;
      set.set(rest[i + 1], { score: scores[i / 2]!, value: rest[i + 1] });
    }
    db.data.put(key, set);
    return added;
  },

  zscore(db, [key, member]) {
    const entry = sortedSetOf(db, key)?.get(member);
    return entry ? formatScore(entry.score) : null;
  },

  zrem(db, [key, ...members]) {
    const set = sortedSetOf(db, key);
    if (!set) return 0;
    let removed = 0;
    for (const member of members) if (set.delete(member)) removed++;
    storeSortedSet(db, key, set);
    return removed;
  },

  zrangebyscore(db, [key, min, max, ...options]) {
    let members = inScoreRange(sortedSetOf(db, key), min, max);
    const flags = options.map((o) => o.toUpperCase());
    const limitAt = flags.indexOf('LIMIT');
    if (limitAt !== -1) {
      const offset = integer(options[limitAt + 1] ?? '');
      const count = integer(options[limitAt + 2] ?? '');
      members = members.slice(offset, count < 0 ? undefined : offset + count);
    }
    if (!flags.includes('WITHSCORES')) return members.map((m) => m.value);
    return members.flatMap((m) => [m.value, formatScore(m.score)]);
  },

  zremrangebyscore(db, [key, min, max]) {
    const set = sortedSetOf(db, key);
    const doomed = inScoreRange(set, min, max);
    if (!set || doomed.length === 0) return 0;
    for (const m of doomed) set.delete(m.value);
    storeSortedSet(db, key, set);
    return doomed.length;
  },
};

function incrementBy(db: MockDataset, key: string, by: number): number {
  const value = db.data.get(key);
  if (value !== undefined && typeof value !== 'string') throw new CommandError(WRONGTYPE);
  const current = value === undefined ? 0 : Number(value);
  if (!Number.isInteger(current)) throw new CommandError('ERR value is not an integer or out of range');
  db.data.set(key, String(current + by));
  return current + by;
}

function expireIn(db: MockDataset, key: string, ms: number): number {
  if (!db.data.has(key)) return 0;
  // Redis deletes a key whose new expiry is already past.
  if (ms <= 0) db.data.delete(key);
  else db.expires.set(key, Date.now() + ms);
  return 1;
}

/** The stored value itself (not a copy): a command that changes it stores it back with `put`. */
function typed<T>(db: MockDataset, key: string, is: (value: unknown) => boolean): T | undefined {
  const value = db.data.peek(key);
  if (value === undefined) return undefined;
  if (!is(value)) throw new CommandError(WRONGTYPE);
  return value as T;
}

// Each of these is the stored value: change it only once the command cannot fail any more.
const hashOf = (db: MockDataset, key: string) => typed<Hash>(db, key, (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Set) && !Buffer.isBuffer(v));
const listOf = (db: MockDataset, key: string) => typed<string[]>(db, key, Array.isArray);
const sortedSetOf = (db: MockDataset, key: string) => typed<SortedSet>(db, key, (v) => v instanceof Map);
const setOf = (db: MockDataset, key: string) => typed<Set<string>>(db, key, (v) => v instanceof Set);

function storeSortedSet(db: MockDataset, key: string, set: SortedSet): void {
  if (set.size === 0) db.data.delete(key);
  else db.data.put(key, set);
}

/** Members with min ≤ score ≤ max (bounds as ZRANGEBYSCORE reads them), by score, then member. */
function inScoreRange(set: SortedSet | undefined, minArg: string, maxArg: string): { score: number; value: string }[] {
  if (!set) return [];
  const min = bound(minArg);
  const max = bound(maxArg);
  const members = [...set.values()].filter(
    (m) => (min.exclusive ? m.score > min.value : m.score >= min.value) && (max.exclusive ? m.score < max.value : m.score <= max.value),
  );
  return members.sort((a, b) => a.score - b.score || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}
