/**
 * @module kernel
 * The kernel's life cycle: load and validate modules (no side effects; every problem in one
 * BootError), open stores, migrate, set modules up in dependency order, then run a mode
 * (http, worker, grpc) and stop in reverse order. It knows nothing about what modules do.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createAdaptorServer } from '@hono/node-server';
import { serveNodeBodies } from './http/node-body.js';
import type { Hono } from 'hono';
import { pino, type Logger } from 'pino';
import { parseKernelConfig, type KernelConfig, type KernelConfigInput } from './config.js';
import type { KernelInfo, KernelMode, ModuleContext } from './context.js';
import { BootError, type BootProblem } from './errors.js';
import { HttpContributions } from './http/contributions.js';
import { DrainState } from './http/drain.js';
import { buildHttpApp } from './http/http-host.js';
import { kernelRefs } from './kernel-refs.js';
import { migrationStatus, runMigrations } from './migrations/index.js';
import { isModule, type Module, type ModuleHandle } from './module.js';
import { createModuleContext, type KernelCollections } from './module-context.js';
import { startTaskScheduler } from './modes/task-scheduler.js';
import type { LoadedModule } from './registry/loaded-module.js';
import { loadModules } from './registry/load-modules.js';
import { validateModules } from './registry/validate-modules.js';
import { ServiceRegistry } from './service-registry.js';
import { openBlobStore } from './stores/blobs.js';
import { openDatabase } from './stores/database.js';
import { createEventHub, type EventHub } from './stores/event-bus.js';
import { createHttpClient } from './stores/http-client.js';
import { openRedis } from './stores/redis.js';
import type { BlobStore, Database, HttpClient, RedisStore } from './stores/types.js';
import { KERNEL_VERSION } from './version.js';

export interface KernelOptions {
  config?: KernelConfigInput;
  /** Modules passed as objects, in addition to those named in `config.modules`. */
  modules?: readonly (Module | LoadedModule)[];
  /** Where `config.modules` paths and package names resolve from (default: cwd). */
  baseDir?: string;
  /** How module files are imported (see LoadModulesOptions.importModule). */
  importModule?: (url: string) => Promise<Record<string, unknown>>;
  mode?: KernelMode;
  log?: Logger;
}

interface Stores {
  database: Database;
  redis: RedisStore;
  blobs: BlobStore;
  events: EventHub;
  http: HttpClient & { close(): Promise<void> };
}

export class Kernel {
  readonly instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly contexts = new Map<string, ModuleContext<any>>();
  readonly collections: KernelCollections = { http: new HttpContributions(), tasks: [], grpc: [], readyCallbacks: [], permissions: [], commands: [] };
  readonly drain = new DrainState();
  private stores?: Stores;
  private handles: { moduleId: string; handle: ModuleHandle }[] = [];
  private stopFns: (() => Promise<void>)[] = [];
  private server?: Server;
  private app?: Hono;
  private pendingMigrations = true;
  private stopped = false;

  private constructor(
    readonly config: KernelConfig,
    readonly modules: readonly LoadedModule[],
    readonly moduleConfigs: ReadonlyMap<string, unknown>,
    readonly mode: KernelMode,
    readonly log: Logger,
  ) {}

  /** Loads and validates modules; throws one BootError listing every problem. No side effects. */
  static async create(options: KernelOptions = {}): Promise<Kernel> {
    const config = parseKernelConfig(options.config ?? {});
    const log = options.log ?? pino({ level: config.logLevel });
    const { loaded, problems } = await loadModules({
      specs: config.modules,
      modulePaths: config.modulePaths,
      baseDir: options.baseDir ?? process.cwd(),
      importModule: options.importModule,
    });
    const inline: LoadedModule[] = [];
    for (const entry of options.modules ?? []) {
      if (isModule(entry)) inline.push({ module: entry, source: `inline module '${entry.id}'` });
      else if (entry && isModule((entry as LoadedModule).module)) inline.push(entry as LoadedModule);
      else problems.push({ code: 'MODULE_NOT_A_MODULE', message: 'An inline module is not the result of defineModule({...}).' });
    }
    const validated = validateModules([...inline, ...loaded], config.config);
    const all: BootProblem[] = [...problems, ...validated.problems];
    if (all.length > 0) throw new BootError(all);
    return new Kernel(config, validated.ordered, validated.configs, options.mode ?? 'http', log);
  }

  get moduleIds(): string[] {
    return this.modules.map((m) => m.module.id);
  }

  get info(): KernelInfo {
    const kernel = this;
    return {
      version: KERNEL_VERSION,
      mode: this.mode,
      instanceId: this.instanceId,
      modules: this.moduleIds,
      get draining() {
        return kernel.drain.isDraining;
      },
    };
  }

  /** Opens the stores named by the config (idempotent). */
  async open(): Promise<Stores> {
    if (this.stores) return this.stores;
    const database = await openDatabase(this.config.database);
    const redis = await openRedis(this.config.redis, { namespace: this.config.redisNamespace });
    const blobs = openBlobStore(this.config.blobs);
    const events = createEventHub({ redis, instanceId: this.instanceId, log: this.log.child({ component: 'events' }) });
    const http = createHttpClient();
    this.stores = { database, redis, blobs, events, http };
    return this.stores;
  }

  /** Applies pending migrations of every module, in order, under the database-wide lock. */
  async migrate(onApplied?: (moduleId: string, migration: string) => void) {
    const { database } = await this.open();
    const result = await runMigrations({
      database,
      modules: this.modules.map((m) => m.module),
      owner: this.instanceId,
      log: this.log.child({ component: 'migrations' }),
      onApplied,
    });
    this.pendingMigrations = false;
    return result;
  }

  async migrationStatus() {
    const { database } = await this.open();
    return migrationStatus(database, this.modules.map((m) => m.module));
  }

  /** Calls every module's setup in dependency order, then their onReady callbacks. */
  async setup(): Promise<void> {
    const stores = await this.open();
    const services = new ServiceRegistry();
    services.provideKernel(kernelRefs.database, stores.database);
    services.provideKernel(kernelRefs.redis, stores.redis);
    services.provideKernel(kernelRefs.blobs, stores.blobs);
    services.provideKernel(kernelRefs.http, stores.http);
    services.provideKernel(kernelRefs.log, this.log);
    services.provideKernel(kernelRefs.info, this.info);
    for (const { module } of this.modules) {
      for (const [name, description] of Object.entries(module.permissions)) {
        this.collections.permissions.push({ name, description, moduleId: module.id });
      }
    }
    for (const { module } of this.modules) {
      const ctx = createModuleContext({
        module,
        config: this.moduleConfigs.get(module.id),
        info: this.info,
        ...stores,
        log: this.log.child({ module: module.id }),
        services: services.scopeFor(module),
        collections: this.collections,
        drain: this.drain,
      });
      this.contexts.set(module.id, ctx);
      try {
        const handle = await module.setup?.(ctx);
        if (handle) this.handles.push({ moduleId: module.id, handle });
      } catch (err) {
        await this.stopModules();
        throw new Error(`[MODULE_SETUP_FAILED] Module '${module.id}' failed in setup: ${(err as Error).message}`, { cause: err });
      }
    }
    if (this.collections.http.problems.length > 0) {
      await this.stopModules();
      throw new BootError(this.collections.http.problems);
    }
    for (const { moduleId, callback } of this.collections.readyCallbacks) {
      try {
        await callback();
      } catch (err) {
        await this.stopModules();
        throw new Error(`[MODULE_READY_FAILED] Module '${moduleId}' failed in onReady: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** The HTTP app (built once, after setup). */
  httpApp(): Hono {
    this.app ??= buildHttpApp({
      server: this.config.server,
      contributions: this.collections.http,
      drain: this.drain,
      log: this.log.child({ component: 'http' }),
      readiness: () => this.readiness(),
    });
    return this.app;
  }

  /** Serves HTTP; resolves with the bound port. */
  async listen(port = this.config.server.port, host = this.config.server.host): Promise<number> {
    const app = this.httpApp();
    const server = createAdaptorServer({ fetch: serveNodeBodies(app.fetch) }) as Server;
    // Streams may be long; the socket timeout must not cut them.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 65_000;
    this.drain.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /** Starts cron tasks (worker mode, or in process when redis is embedded). */
  async startTasks(): Promise<void> {
    const stores = await this.open();
    const scheduler = await startTaskScheduler({
      tasks: this.collections.tasks,
      redis: stores.redis,
      instanceId: this.instanceId,
      log: this.log.child({ component: 'tasks' }),
    });
    this.stopFns.push(() => scheduler.stop());
  }

  async startGrpc(port = this.config.server.grpcPort, host = this.config.server.host): Promise<number> {
    const { startGrpcServer } = await import('./modes/grpc-server.js');
    const grpc = await startGrpcServer({ host, port, services: this.collections.grpc, log: this.log.child({ component: 'grpc' }) });
    this.stopFns.push(() => grpc.stop());
    return grpc.port;
  }

  /** undefined when ready, else why not. */
  async readiness(): Promise<string | undefined> {
    if (!this.stores) return 'stores not open';
    try {
      await Promise.all([this.stores.database.ping(), this.stores.redis.ping()]);
    } catch (err) {
      return `store unreachable: ${(err as Error).message}`;
    }
    if (this.pendingMigrations) {
      const status = await this.migrationStatus();
      const pending = status.filter((s) => s.pending.length > 0).map((s) => s.moduleId);
      if (pending.length > 0) return `pending migrations in: ${pending.join(', ')}`;
      this.pendingMigrations = false;
    }
    return undefined;
  }

  /**
   * Drains and stops: new requests get 503 DRAINING, in-flight ones may finish within the
   * grace period, then modules stop in reverse order and stores close.
   */
  async stop(graceMs = this.config.server.drainGraceMs): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const deadline = Date.now() + graceMs;
    this.drain.start();
    if (this.server) {
      const clean = await this.drain.waitIdle(graceMs);
      if (!clean) this.log.warn({ active: this.drain.active }, 'grace period over; closing remaining connections');
      await new Promise<void>((resolve) => {
        this.server!.close(() => resolve());
        this.server!.closeAllConnections();
      });
    }
    for (const stop of this.stopFns.reverse()) await stop().catch((err) => this.log.error({ err }, 'stop failed'));
    // Work handed to ctx.waitUntil (gRPC calls' included) finishes while the stores are still open.
    if (!(await this.drain.waitIdle(Math.max(0, deadline - Date.now())))) {
      this.log.warn({ active: this.drain.active }, 'grace period over; stopping modules with work unfinished');
    }
    await this.stopModules();
    if (this.stores) {
      const { events, http, redis, database } = this.stores;
      await events.close().catch(() => undefined);
      await http.close().catch(() => undefined);
      await redis.close().catch(() => undefined);
      await database.destroy().catch(() => undefined);
    }
  }

  private async stopModules(): Promise<void> {
    for (const { moduleId, handle } of this.handles.reverse()) {
      try {
        await handle.stop?.();
      } catch (err) {
        this.log.error({ err, module: moduleId }, 'module stop failed');
      }
    }
    this.handles = [];
  }
}
