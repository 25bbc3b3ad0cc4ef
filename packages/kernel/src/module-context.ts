/**
 * @module module-context
 * Builds the ModuleContext a module receives in `setup`: shared stores seen through the
 * module's prefixes, and registration surfaces that record into the kernel's collections.
 * Redis and blob views are created on first use, since most modules need neither.
 */
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CommandDeclaration, ModuleContext, PermissionInfo, TaskDeclaration, KernelInfo, MiddlewarePhase } from './context.js';
import { MIDDLEWARE_PHASES } from './context.js';
import type { HttpContributions } from './http/contributions.js';
import type { DrainState } from './http/drain.js';
import type { Module } from './module.js';
import type { ModuleServices } from './service-registry.js';
import type { EventHub } from './stores/event-bus.js';
import { prefixedBlobStore } from './stores/blobs.js';
import { validateTaskSchedule } from './modes/task-schedule.js';
import type { BlobStore, Database, HttpClient, RedisStore } from './stores/types.js';

export interface KernelCollections {
  http: HttpContributions;
  tasks: TaskDeclaration[];
  grpc: { moduleId: string; definition: ServiceDefinition; implementation: UntypedServiceImplementation }[];
  readyCallbacks: { moduleId: string; callback: () => void | Promise<void> }[];
  permissions: PermissionInfo[];
  commands: CommandDeclaration[];
}

export interface ModuleContextDeps {
  module: Module;
  config: unknown;
  info: KernelInfo;
  database: Database;
  redis: RedisStore;
  blobs: BlobStore;
  events: EventHub;
  http: HttpClient;
  log: Logger;
  services: ModuleServices;
  collections: KernelCollections;
  drain: DrainState;
}

export function tableName(moduleId: string, name: string): string {
  return `${moduleId.replace(/-/g, '_')}_${name}`;
}

export function createModuleContext(deps: ModuleContextDeps): ModuleContext<any> {
  const { module, collections, services } = deps;
  const id = module.id;
  const routes = new Hono();
  collections.http.moduleRoutes.set(id, routes);
  let redis: ModuleContext['redis'] | undefined;
  let blobs: BlobStore | undefined;
  const events = deps.events.forModule(id);

  const ctx: ModuleContext<any> = {
    id,
    config: deps.config,
    kernel: deps.info,
    db: deps.database.db,
    dialect: deps.database.dialect,
    table: (name) => tableName(id, name),
    get redis() {
      return (redis ??= deps.redis.client(id));
    },
    redisStore: deps.redis,
    get blobs() {
      return (blobs ??= prefixedBlobStore(deps.blobs, id));
    },
    events,
    http: deps.http,
    log: deps.log,
    routes,
    mount(path, app, options) {
      collections.http.addMount({ moduleId: id, path, app, renderError: options?.renderError });
    },
    middleware(phase: MiddlewarePhase, handler, options) {
      if (!MIDDLEWARE_PHASES.includes(phase)) {
        throw new Error(`Module '${id}' used unknown middleware phase '${phase}'. Use one of: ${MIDDLEWARE_PHASES.join(', ')}.`);
      }
      collections.http.middleware.push({ moduleId: id, phase, handler, path: options?.path ?? '*' });
    },
    task(name, schedule, handler) {
      validateTaskSchedule(`${id}/${name}`, schedule);
      if (collections.tasks.some((t) => t.moduleId === id && t.name === name)) {
        throw new Error(`Module '${id}' declares task '${name}' twice.`);
      }
      collections.tasks.push({ moduleId: id, name, handler, ...schedule });
    },
    provide: (ref, impl) => services.provide(ref, impl),
    use: (ref) => services.use(ref),
    useOptional: (ref) => services.useOptional(ref),
    container: services.scope,
    permissions: () => collections.permissions,
    grpcService(definition, implementation) {
      collections.grpc.push({ moduleId: id, definition, implementation });
    },
    command(name, description, run) {
      if (collections.commands.some((c) => c.name === name)) {
        const other = collections.commands.find((c) => c.name === name)!.moduleId;
        throw new Error(`Modules '${other}' and '${id}' both declare the CLI command '${name}'.`);
      }
      collections.commands.push({ moduleId: id, name, description, run });
    },
    onReady(callback) {
      collections.readyCallbacks.push({ moduleId: id, callback });
    },
    waitUntil: (work) => deps.drain.waitUntil(work),
  };
  return ctx;
}
