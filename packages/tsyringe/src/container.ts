/**
 * @module container
 * Builds a tsyringe container for one module's `setup(ctx)`: a child of the global (or a given)
 * container holding the module's context under `Tokens`, and the services the module asks for
 * under their ref ids. Services are fetched through `ctx.use()` when first injected, so the
 * kernel's dependency rule still applies (a service of an undeclared module throws, naming
 * both), and a service the module itself provides later in setup can still be listed.
 */
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { ModuleContext, ServiceRef } from '@scaigrid/kernel';
import { Tokens } from './tokens.js';

export interface TsyringeBridgeOptions {
  /** Services of this module, the kernel or a declared dependency; injected with `@inject(ref.id)`. */
  services?: readonly ServiceRef<unknown>[];
  /** Services of optional dependencies; inject `undefined` when the owner is not loaded. */
  optionalServices?: readonly ServiceRef<unknown>[];
  /** Container to derive from; default tsyringe's global one. */
  parent?: DependencyContainer;
}

/**
 * @example
 * setup(ctx) {
 *   const di = tsyringeContainer(ctx, { services: [greeterRef] });
 *   const jobs = di.resolve(ReportJobs);
 *   ctx.task('daily-report', { cron: '0 6 * * *' }, () => jobs.run());
 * }
 */
export function tsyringeContainer(ctx: ModuleContext, options: TsyringeBridgeOptions = {}): DependencyContainer {
  const container = (options.parent ?? rootContainer).createChildContainer();
  const values: [symbol, unknown][] = [
    [Tokens.Context, ctx],
    [Tokens.Config, ctx.config],
    [Tokens.Kernel, ctx.kernel],
    [Tokens.Db, ctx.db],
    [Tokens.Redis, ctx.redis],
    [Tokens.RedisStore, ctx.redisStore],
    [Tokens.Blobs, ctx.blobs],
    [Tokens.Events, ctx.events],
    [Tokens.Http, ctx.http],
    [Tokens.Log, ctx.log],
  ];
  for (const [token, value] of values) container.register(token, { useValue: value });

  for (const ref of options.services ?? []) {
    container.register(ref.id, { useFactory: instanceCachingFactory(() => ctx.use(ref)) });
  }
  for (const ref of options.optionalServices ?? []) {
    container.register(ref.id, { useFactory: instanceCachingFactory(() => ctx.useOptional(ref)) });
  }
  return container;
}
