/**
 * @module @scaigrid/kernel
 * The public API of the kernel: defining modules, the context they receive, errors, service
 * refs, stores' contracts and the kernel itself (for the server and tests).
 */
export * from './module.js';
export * from './context.js';
export * from './errors.js';
export * from './service-ref.js';
export * from './kernel-refs.js';
export * from './config.js';
export * from './version.js';
export { newUlid, pooledRandom } from './ids.js';
export type * from './stores/types.js';
export type { Migration, MigrationContext } from './migrations/types.js';
export type { LoadedModule } from './registry/loaded-module.js';
export { Kernel, type KernelOptions } from './kernel.js';
export { nativeErrorResponse } from './http/error-response.js';
export { nodeBodyResponse, type NodeBodyWriter } from './http/node-body.js';
export { nodeResponseOf, setResponseHeaders } from './http/response-headers.js';
export { requestHeader } from './http/request-headers.js';
export { clientSignal, PlainAbortSignal, type AbortSignalLike } from './http/client-signal.js';
export { tableName } from './module-context.js';
export { atScriptFlush, RedisScript } from './stores/redis-script.js';
export { readBody, readQuery, readJson, parseInput, validationError, inputIssues, type InputIssue } from './http/input.js';
