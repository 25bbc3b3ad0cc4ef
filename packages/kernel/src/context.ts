/**
 * @module context
 * The ModuleContext: everything a module receives in `setup(ctx)`. Stores are shared by all
 * modules but scoped by the context (redis and blob keys prefixed with the module id, tables
 * named through `table()`); registration surfaces record what the module contributes.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AwilixContainer } from 'awilix';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ServiceRef } from './service-ref.js';
import type { BlobStore, EventBus, HttpClient, SqlDialect, RedisStore } from './stores/types.js';

export type MiddlewarePhase = 'request' | 'authenticate' | 'authorize' | 'observe';
export const MIDDLEWARE_PHASES: readonly MiddlewarePhase[] = ['observe', 'request', 'authenticate', 'authorize'];

export interface MiddlewareOptions {
  /** Hono path pattern the middleware applies to; default every path (`*`). */
  path?: string;
}

/** Renders an error for requests under a mount (e.g. OpenAI's error shape on `/oai/v1`). */
export type ErrorRenderer = (
  error: { code: string; status: number; message: string; requestId: string; headers: Record<string, string>; details?: Record<string, unknown> },
) => Response;

export interface MountOptions {
  renderError?: ErrorRenderer;
}

export interface TaskSchedule {
  /** Cron pattern (with optional seconds field), e.g. `*\/30 * * * * *`. */
  cron?: string;
  /** Fixed interval in milliseconds; use this or `cron`. */
  everyMs?: number;
}

export interface TaskContext {
  /** Scheduled time of this tick, epoch ms. */
  tickAt: number;
  signal: AbortSignal;
}

export type TaskHandler = (task: TaskContext) => void | Promise<void>;

export interface TaskDeclaration extends TaskSchedule {
  moduleId: string;
  name: string;
  handler: TaskHandler;
}

/** A CLI command; resolves to the process exit code (default 0). */
export type CommandHandler = (args: readonly string[], io: { print(line: string): void }) => Promise<number | void> | number | void;

export interface CommandDeclaration {
  moduleId: string;
  name: string;
  description: string;
  run: CommandHandler;
}

export type KernelMode = 'http' | 'worker' | 'migrate' | 'grpc' | 'cli';

/** Read-only facts about the running kernel, for modules that adapt to it. */
export interface KernelInfo {
  readonly version: string;
  readonly mode: KernelMode;
  /** Unique per process; used as the consumer name in event groups. */
  readonly instanceId: string;
  /** Ids of every loaded module, in setup order. */
  readonly modules: readonly string[];
  readonly draining: boolean;
}

export interface PermissionInfo {
  name: string;
  description: string;
  moduleId: string;
}

export interface ModuleContext<Config = unknown> {
  readonly id: string;
  readonly config: Config;
  readonly kernel: KernelInfo;

  /** Shared Kysely instance; use `table()` for the module's own tables. */
  readonly db: Kysely<any>;
  readonly dialect: SqlDialect;
  /** `table('keys')` in module `auth` is `auth_keys`. */
  table(name: string): string;

  /** ioredis client with keys prefixed `<namespace>:<module-id>:`. */
  readonly redis: Redis;
  /** The raw store: unprefixed clients (`store.client('')`), dedicated connections, `embedded`. */
  readonly redisStore: RedisStore;
  /** Object store with keys prefixed `<module-id>/`. */
  readonly blobs: BlobStore;
  readonly events: EventBus;
  readonly http: HttpClient;
  readonly log: Logger;

  /** Routes mounted at `/v1/modules/<id>/`. */
  readonly routes: Hono;
  /**
   * Claims a top-level mount (`/oai/v1`, `/v1/admin/tenants`, `/metrics`); two modules claiming
   * the same path fail boot naming both.
   */
  mount(path: string, app: Hono, options?: MountOptions): void;
  /** Contributes middleware to a phase; within a phase modules run in dependency order. */
  middleware(phase: MiddlewarePhase, handler: MiddlewareHandler, options?: MiddlewareOptions): void;
  /** Declares a cron task; it runs in worker mode (and in process when redis is embedded). */
  task(name: string, schedule: TaskSchedule, handler: TaskHandler): void;

  /** Provides a service for modules that depend on this one. The ref must be owned by this module. */
  provide<T>(ref: ServiceRef<T>, implementation: T): void;
  /** A service of this module, the kernel, or a declared dependency; throws naming both modules otherwise. */
  use<T>(ref: ServiceRef<T>): T;
  /** Like `use`, but undefined when the owner is an optional dependency that is not loaded. */
  useOptional<T>(ref: ServiceRef<T>): T | undefined;
  /** The module's awilix scope (kernel services + dependencies' services), for bridges. */
  readonly container: AwilixContainer;

  /** Every permission declared by every loaded module. */
  permissions(): readonly PermissionInfo[];

  /** Registers a gRPC service; served in grpc mode. */
  grpcService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void;

  /** Adds a `scaigrid <name> ...` CLI command (e.g. `keys`), run with the kernel set up in cli mode. */
  command(name: string, description: string, run: CommandHandler): void;

  /** Runs once every module has been set up (seeding, warming caches). */
  onReady(callback: () => void | Promise<void>): void;

  /**
   * Work a request started that may finish after its response (writing usage, say): a stopping
   * instance waits for it, within the drain grace period, before modules stop and stores
   * close. Handle its errors yourself; a rejection is only counted as done.
   */
  waitUntil(work: Promise<unknown>): void;
}
