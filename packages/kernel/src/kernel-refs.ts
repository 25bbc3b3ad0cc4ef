/**
 * @module kernel-refs
 * Refs to the kernel's own services in the root container, for bridges and modules that
 * prefer resolving to reading `ctx` fields.
 */
import type { Logger } from 'pino';
import { serviceRef } from './service-ref.js';
import type { BlobStore, Database, HttpClient, RedisStore } from './stores/types.js';
import type { KernelInfo } from './context.js';

export const kernelRefs = Object.freeze({
  database: serviceRef<Database>('kernel.database'),
  redis: serviceRef<RedisStore>('kernel.redis'),
  blobs: serviceRef<BlobStore>('kernel.blobs'),
  http: serviceRef<HttpClient>('kernel.http'),
  log: serviceRef<Logger>('kernel.log'),
  info: serviceRef<KernelInfo>('kernel.info'),
});
