/**
 * @module tokens
 * Injection tokens for what the kernel hands a module in `setup(ctx)`. They are global symbols
 * (`Symbol.for`), so a class compiled against another copy of this package still matches, and
 * a module's service ids (plain strings such as `'hello.greeter'`) can never collide with them.
 */

export const Tokens = Object.freeze({
  /** The whole ModuleContext. */
  Context: Symbol.for('scaigrid.tsyringe.context'),
  /** `ctx.config`, already validated against the module's schema. */
  Config: Symbol.for('scaigrid.tsyringe.config'),
  /** `ctx.kernel`: version, mode, instance id, loaded modules. */
  Kernel: Symbol.for('scaigrid.tsyringe.kernel'),
  /** `ctx.db`, the shared Kysely instance. */
  Db: Symbol.for('scaigrid.tsyringe.db'),
  /** `ctx.redis`, keys prefixed with the module id. */
  Redis: Symbol.for('scaigrid.tsyringe.redis'),
  /** `ctx.redisStore`, the raw store (dedicated connections, `embedded`). */
  RedisStore: Symbol.for('scaigrid.tsyringe.redis-store'),
  /** `ctx.blobs`, keys prefixed with the module id. */
  Blobs: Symbol.for('scaigrid.tsyringe.blobs'),
  /** `ctx.events`, the event bus. */
  Events: Symbol.for('scaigrid.tsyringe.events'),
  /** `ctx.http`, pooled outbound HTTP. */
  Http: Symbol.for('scaigrid.tsyringe.http'),
  /** `ctx.log`, the module's pino logger. */
  Log: Symbol.for('scaigrid.tsyringe.log'),
});

export type TokenName = keyof typeof Tokens;
