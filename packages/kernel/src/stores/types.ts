/**
 * @module stores/types
 * The contracts of the stores a module receives. Each is chosen by a URL (DESIGN.md §4):
 * embedded defaults for a fresh checkout, real servers in production.
 */
import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Dispatcher } from 'undici';

export type SqlDialect = 'sqlite' | 'mysql';

/** The database handle: one Kysely instance shared by all modules. */
export interface Database {
  readonly url: string;
  readonly dialect: SqlDialect;
  readonly db: Kysely<any>;
  /** Cheap reachability probe for /ready. */
  ping(): Promise<void>;
  destroy(): Promise<void>;
}

/** The Redis connection(s): real ioredis for redis://, an embedded in-process store for memory://. */
export interface RedisStore {
  readonly url: string;
  readonly embedded: boolean;
  /** Namespace prepended to every key the gateway writes (`<namespace>:`), so that test runs can share a server. */
  readonly namespace: string;
  /** A client whose keys are prefixed with `<namespace>:<prefix>:`; created lazily and cached by prefix. */
  client(prefix?: string): Redis;
  /**
   * A fresh dedicated connection (blocking reads, BullMQ); the caller closes it. `connectionName`
   * is set with CLIENT SETNAME, so an operator can tell the gateway's connections apart.
   */
  connect(options?: { keyPrefix?: string; maxRetriesPerRequest?: number | null; connectionName?: string }): Redis;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface BlobPutOptions {
  contentType?: string;
}

export interface BlobInfo {
  key: string;
  size: number;
}

/** An object store (`file:` directory or `s3://bucket`); keys are module-prefixed by the context. */
export interface BlobStore {
  put(key: string, body: Uint8Array | string, options?: BlobPutOptions): Promise<void>;
  /** The object's bytes, or null when it does not exist. */
  get(key: string): Promise<Uint8Array | null>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  list(prefix?: string): Promise<BlobInfo[]>;
}

export interface EventMessage<T = unknown> {
  /** Unique per message (Redis stream id, or a counter in process). */
  id: string;
  topic: string;
  payload: T;
  /** Module that published it. */
  source: string;
  /** Epoch milliseconds. */
  time: number;
}

export type EventHandler<T = unknown> = (message: EventMessage<T>) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * `broadcast` (default): every running instance receives each message published while it runs
   * (cache invalidation). `queue`: durable consumer group named `group` (default: the module id);
   * each message is handled once per group, and a consumer that was down gets what it missed.
   */
  mode?: 'broadcast' | 'queue';
  group?: string;
}

/** Publish/subscribe between modules and between instances. */
export interface EventBus {
  publish<T>(topic: string, payload: T): Promise<void>;
  subscribe<T>(topic: string, handler: EventHandler<T>, options?: SubscribeOptions): Promise<() => Promise<void>>;
}

export interface HttpRequestInit extends RequestInit {
  /** Abort after this many milliseconds (default: the client's timeout). */
  timeoutMs?: number;
}

/** Outbound HTTP with pooled keep-alive connections and timeouts. */
export interface HttpClient {
  fetch(url: string | URL, init?: HttpRequestInit): Promise<Response>;
  /** The pooled undici dispatcher, for hot paths that call undici.request directly. */
  readonly dispatcher: Dispatcher;
}
