/**
 * @module stores/redis
 * Opens the Redis store by URL: `redis://` / `rediss://` use ioredis against a real server;
 * `memory://` uses ioredis-mock, embedded in this process, so a fresh checkout runs without a
 * server. Every key the gateway writes lives under `<namespace>:` so that test runs (and
 * several gateways) can share one server; `client(prefix)` adds a module's own `<prefix>:`.
 * Each driver is imported only when its scheme is opened: ioredis-mock carries a Lua VM
 * (fengari) that a gateway on a real server would otherwise load and keep for nothing.
 */
import type { Redis } from 'ioredis';
import type { RedisStore } from './types.js';
import { redactUrl, urlScheme } from './redact-url.js';
import { routeScripts } from './script-route.js';
import { coalesceWritesPerTurn } from './write-coalescing.js';
import { ExpirySweeper } from './embedded-expiry.js';

export interface OpenRedisOptions {
  /** Prepended to every key as `<namespace>:`; default `sg`. */
  namespace?: string;
}

// ioredis-mock keeps one dataset per `host:port/db`; a fresh host per store isolates them.
let memoryStoreCount = 0;

/**
 * Opens the store named by `url`. `memory://` is private to the returned store; `memory://<name>`
 * shares its data with every store opened under the same name in this process.
 * @example const redis = await openRedis('memory://'); await redis.client('auth').set('k', 'v'); // key sg:auth:k
 */
export async function openRedis(url: string, options: OpenRedisOptions = {}): Promise<RedisStore> {
  const namespace = options.namespace ?? 'sg';
  if (!/^[A-Za-z0-9_.-]+$/.test(namespace)) {
    throw new Error(`Redis namespace '${namespace}' is invalid: use letters, digits, '_', '.' or '-'.`);
  }
  const scheme = urlScheme(url);
  if (scheme === 'memory') return memoryStore(url, namespace);
  if (scheme === 'redis' || scheme === 'rediss') return serverStore(url, namespace);
  throw new Error(
    `Unsupported redis URL scheme '${scheme}' in '${redactUrl(url)}'. Use redis://host:6379/0, rediss://… or memory://.`,
  );
}

type Factory = (options: { keyPrefix?: string; maxRetriesPerRequest?: number | null; connectionName?: string; shared: boolean }) => Redis;

async function serverStore(url: string, namespace: string): Promise<RedisStore> {
  // `default` is ioredis's module.exports (the Redis class) both under Node's CJS interop and
  // in the server bundle, where a split-off CommonJS chunk exports nothing else.
  const { default: Redis } = await import('ioredis');
  return createStore(url, namespace, false, ({ keyPrefix, maxRetriesPerRequest, connectionName, shared }) => {
    const client = new Redis(url, {
      keyPrefix,
      connectionName,
      ...(maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest }),
    });
    // Shared clients serve many concurrent requests: the commands of one event-loop turn go out
    // as one write while replies are pending (write-coalescing.ts says why not auto-pipelining).
    // Dedicated connections run blocking commands one at a time; they write as they go.
    if (shared) client.on('connect', () => coalesceWritesPerTurn(client.stream, () => client.commandQueue.length > 0));
    return client;
  });
}

async function memoryStore(url: string, namespace: string): Promise<RedisStore> {
  const [{ default: RedisMock }, { runScriptsIn }] = await Promise.all([import('ioredis-mock'), import('./embedded-scripts.js')]);
  const name = url.slice('memory:'.length).replace(/^\/\//, '').replace(/\/+$/, '');
  const host = name === '' ? `scaigrid-memory-${++memoryStoreCount}-${process.pid}` : `scaigrid-memory-named-${name}`;
  const scripts = runScriptsIn();
  // ioredis-mock deletes an expired key only when it is touched again (embedded-expiry.ts).
  const expiry = new ExpirySweeper();
  expiry.start();
  return createStore(
    url,
    namespace,
    true,
    ({ keyPrefix }) => expiry.track(scripts(new RedisMock({ host, port: 6379, db: 0, keyPrefix }))) as unknown as Redis,
    { privateData: name === '', onClose: () => expiry.stop() },
  );
}

interface StoreOptions {
  /** An anonymous memory store: its data is flushed on close. */
  privateData?: boolean;
  onClose?(): void;
}

function createStore(url: string, namespace: string, embedded: boolean, make: Factory, options: StoreOptions = {}): RedisStore {
  const { privateData = false } = options;
  const clients = new Map<string, Redis>();
  let closed = false;
  // Every module's Lua scripts on a real server (script-route.ts); made with the first client.
  let scripts: Redis | undefined;

  const client = (prefix = ''): Redis => {
    if (closed) throw new Error(`Redis store '${redactUrl(url)}' is closed.`);
    let existing = clients.get(prefix);
    if (!existing) {
      const keyPrefix = prefix === '' ? `${namespace}:` : `${namespace}:${prefix}:`;
      existing = make({ keyPrefix, shared: true });
      clients.set(prefix, existing);
      if (!embedded) {
        scripts ??= make({ connectionName: `${namespace}:scripts`, shared: true });
        routeScripts(existing, { client: scripts, keyPrefix });
      }
    }
    return existing;
  };

  return Object.freeze({
    url,
    embedded,
    namespace,
    client,
    connect(options: { keyPrefix?: string; maxRetriesPerRequest?: number | null; connectionName?: string } = {}) {
      if (closed) throw new Error(`Redis store '${redactUrl(url)}' is closed.`);
      // No namespace here: BullMQ refuses connections with a keyPrefix and sets its own `prefix`.
      return make({ ...options, shared: false });
    },
    async ping() {
      try {
        await client('').ping();
      } catch (err) {
        throw new Error(`Redis '${redactUrl(url)}' is not reachable: ${(err as Error).message}`, { cause: err });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      options.onClose?.();
      const all = [...clients.values(), ...(scripts ? [scripts] : [])];
      clients.clear();
      // An anonymous memory store's data would otherwise stay in ioredis-mock's global map for the process lifetime.
      if (privateData) {
        const flusher = all[0] ?? make({ shared: false });
        await flusher.flushall();
        if (!all[0]) flusher.disconnect();
      }
      await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
    },
  });
}
