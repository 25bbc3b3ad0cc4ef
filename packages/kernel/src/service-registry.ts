/**
 * @module service-registry
 * Dependency injection between modules, on awilix. Kernel services live in the root
 * container; each module gets its own scope that can reach only kernel services, its own
 * services and those of modules it declared. Using anything else fails naming both modules.
 */
import { asValue, createContainer, type AwilixContainer } from 'awilix';
import { GatewayError } from './errors.js';
import type { Module } from './module.js';
import type { ServiceRef } from './service-ref.js';

export class ServiceRegistry {
  readonly root: AwilixContainer = createContainer({ strict: true });
  private readonly providers = new Map<string, string>();
  private readonly values = new Map<string, unknown>();

  /** Registers a kernel service visible to every module. */
  provideKernel<T>(ref: ServiceRef<T>, value: T): void {
    this.root.register(ref.id, asValue(value));
    this.providers.set(ref.id, 'kernel');
  }

  /** A module's view of services. */
  scopeFor(module: Module): ModuleServices {
    return new ModuleServices(module, this.root.createScope(), this);
  }

  /** @internal */
  record(refId: string, owner: string, value: unknown): void {
    if (this.providers.has(refId)) {
      throw new Error(`[SERVICE_DUPLICATE] Service '${refId}' is already provided by '${this.providers.get(refId)}'; module '${owner}' provides it again.`);
    }
    this.providers.set(refId, owner);
    this.values.set(refId, value);
  }

  /** @internal */
  valueOf(refId: string): unknown {
    return this.values.get(refId);
  }

  /** @internal */
  has(refId: string): boolean {
    return this.providers.has(refId);
  }
}

export class ModuleServices {
  constructor(
    private readonly module: Module,
    readonly scope: AwilixContainer,
    private readonly registry: ServiceRegistry,
  ) {}

  provide<T>(ref: ServiceRef<T>, value: T): void {
    if (ref.owner !== this.module.id) {
      throw new Error(`[SERVICE_OWNER] Module '${this.module.id}' cannot provide '${ref.id}': refs starting with '${ref.owner}.' belong to module '${ref.owner}'. Name it '${this.module.id}.<name>'.`);
    }
    this.registry.record(ref.id, this.module.id, value);
  }

  use<T>(ref: ServiceRef<T>): T {
    const value = this.useOptional(ref);
    if (value === undefined) {
      if (this.module.optionalDependsOn.includes(ref.owner)) {
        throw new Error(`[SERVICE_UNAVAILABLE] Module '${this.module.id}' uses service '${ref.id}' of optional module '${ref.owner}', which is not loaded. Use ctx.useOptional() for optional dependencies.`);
      }
      throw new Error(`[SERVICE_NOT_PROVIDED] Module '${ref.owner}' does not provide service '${ref.id}' (needed by '${this.module.id}'). Check the ref's id, or that '${ref.owner}' calls ctx.provide() in setup.`);
    }
    return value;
  }

  useOptional<T>(ref: ServiceRef<T>): T | undefined {
    const declared =
      ref.owner === 'kernel' ||
      ref.owner === this.module.id ||
      this.module.dependsOn.includes(ref.owner) ||
      this.module.optionalDependsOn.includes(ref.owner);
    if (!declared) {
      throw new GatewayError(
        'SERVICE_NOT_DECLARED',
        `[SERVICE_NOT_DECLARED] Module '${this.module.id}' uses service '${ref.id}' of module '${ref.owner}' without declaring it. Add '${ref.owner}' to dependsOn (or optionalDependsOn) of '${this.module.id}'.`,
        { status: 500 },
      );
    }
    if (!this.registry.has(ref.id)) return undefined;
    // Module services enter a scope only when a module that declared their owner asks, so a
    // scope never holds what its module may not see.
    if (ref.owner !== 'kernel' && !this.scope.hasRegistration(ref.id)) {
      this.scope.register(ref.id, asValue(this.registry.valueOf(ref.id)));
    }
    return this.scope.resolve<T>(ref.id);
  }
}
