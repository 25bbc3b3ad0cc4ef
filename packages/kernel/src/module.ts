/**
 * @module module
 * `defineModule` and the shape of a module. A module is inert, branded data: nothing runs
 * until the kernel calls `setup`. The brand is a global symbol plus an API version, checked
 * instead of `instanceof`, so a module built against another copy of the kernel still loads.
 */
import type { z } from 'zod';
import type { ModuleContext } from './context.js';
import type { Migration } from './migrations/types.js';

export const MODULE_BRAND: unique symbol = Symbol.for('scaigrid.module') as never;
export const MODULE_API_VERSION = 1;
export const MODULE_ID_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

export interface ModuleHandle {
  /** Called on shutdown, in reverse setup order. */
  stop?(): void | Promise<void>;
}

export interface ModuleDefinition<S extends z.ZodType = z.ZodType> {
  id: string;
  version: string;
  /** Semver range of the kernel this module works with, e.g. `^0.1.0`. */
  kernel?: string;
  dependsOn?: readonly string[];
  optionalDependsOn?: readonly string[];
  /** Schema of the module's config section; defaults are applied, errors name the field path. */
  config?: S;
  /** Permission name → description; registered centrally so roles can grant them. */
  permissions?: Readonly<Record<string, string>>;
  migrations?: readonly Migration[];
  setup?(ctx: ModuleContext<z.output<S>>): void | ModuleHandle | Promise<void | ModuleHandle>;
}

export interface Module<S extends z.ZodType = z.ZodType> extends Readonly<ModuleDefinition<S>> {
  readonly [MODULE_BRAND]: number;
  readonly dependsOn: readonly string[];
  readonly optionalDependsOn: readonly string[];
  readonly permissions: Readonly<Record<string, string>>;
  readonly migrations: readonly Migration[];
}

/**
 * @example
 * export default defineModule({
 *   id: 'hello', version: '1.0.0', dependsOn: [],
 *   setup(ctx) { ctx.routes.get('/', (c) => c.json({ hello: 'world' })); },
 * });
 */
export function defineModule<S extends z.ZodType = z.ZodType>(definition: ModuleDefinition<S>): Module<S> {
  return Object.freeze({
    ...definition,
    dependsOn: Object.freeze([...(definition.dependsOn ?? [])]),
    optionalDependsOn: Object.freeze([...(definition.optionalDependsOn ?? [])]),
    permissions: Object.freeze({ ...(definition.permissions ?? {}) }),
    migrations: Object.freeze([...(definition.migrations ?? [])]),
    [MODULE_BRAND]: MODULE_API_VERSION,
  }) as Module<S>;
}

export function isModule(value: unknown): value is Module {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[MODULE_BRAND] === MODULE_API_VERSION
  );
}
