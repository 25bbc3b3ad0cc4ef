/**
 * @module config
 * The kernel's configuration: stores, server settings, which modules to load and each
 * module's section. The server reads it from YAML (`SCAIGRID_CONFIG`) and the environment
 * (DESIGN.md §7), env winning; tests pass it as an object.
 */
import { z } from 'zod';

export const corsSchema = z.object({
  /** Allowed origins; `['*']` allows any. Empty disables CORS headers. */
  origins: z.array(z.string()).default([]),
  allowHeaders: z.array(z.string()).default(['Authorization', 'Content-Type', 'X-Request-Id', 'x-api-key', 'anthropic-version']),
  exposeHeaders: z.array(z.string()).default(['X-Request-Id', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']),
  credentials: z.boolean().default(false),
});

export const serverSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  grpcPort: z.coerce.number().int().min(0).max(65535).default(50051),
  /** Largest accepted request body in bytes. */
  bodyLimit: z.coerce.number().int().positive().default(4 * 1024 * 1024),
  /** How long in-flight requests and streams may run after SIGTERM. */
  drainGraceMs: z.coerce.number().int().min(0).default(15_000),
  /** Seconds a client is told to wait (Retry-After) while the instance drains. */
  drainRetryAfterSeconds: z.coerce.number().int().min(0).default(5),
  cors: corsSchema.prefault({}),
});

export const kernelConfigSchema = z.object({
  database: z.string().default('sqlite:./data/scaigrid.db'),
  redis: z.string().default('memory://'),
  blobs: z.string().default('file:./data/blobs'),
  /** Prefix of every redis key, stream and queue the gateway writes. */
  redisNamespace: z.string().regex(/^[A-Za-z0-9_-]+$/).default('sg'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** http mode applies pending migrations at start (convenient on embedded stores; production runs `migrate`). */
  migrateOnStart: z.boolean().default(true),
  server: serverSchema.prefault({}),
  /** Modules to load: package names or paths. */
  modules: z.array(z.string()).default([]),
  /** Directories scanned for packages whose package.json has `"scaigrid": { "module": true }`. */
  modulePaths: z.array(z.string()).default([]),
  /** Each module's config section, by module id. */
  config: z.record(z.string(), z.unknown()).default({}),
});

export type KernelConfig = z.output<typeof kernelConfigSchema>;
export type KernelConfigInput = z.input<typeof kernelConfigSchema>;

/** Env var → config path; env overrides the file. */
const ENV_OVERRIDES: ReadonlyArray<[string, (c: Record<string, any>, v: string) => void]> = [
  ['SCAIGRID_DATABASE_URL', (c, v) => (c.database = v)],
  ['SCAIGRID_REDIS_URL', (c, v) => (c.redis = v)],
  ['SCAIGRID_BLOB_URL', (c, v) => (c.blobs = v)],
  ['SCAIGRID_LOG_LEVEL', (c, v) => (c.logLevel = v)],
  ['SCAIGRID_PORT', (c, v) => ((c.server ??= {}).port = v)],
  ['SCAIGRID_HOST', (c, v) => ((c.server ??= {}).host = v)],
  ['SCAIGRID_GRPC_PORT', (c, v) => ((c.server ??= {}).grpcPort = v)],
  ['SCAIGRID_REDIS_NAMESPACE', (c, v) => (c.redisNamespace = v)],
];

/** Returns a copy of `raw` with the SCAIGRID_* environment applied. */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const copy: Record<string, any> = structuredClone(raw);
  if (copy.server && typeof copy.server === 'object') copy.server = { ...copy.server };
  for (const [name, apply] of ENV_OVERRIDES) {
    const value = env[name];
    if (value !== undefined && value !== '') apply(copy, value);
  }
  return copy;
}

/** Validates kernel config; throws one readable error listing each bad field. */
export function parseKernelConfig(raw: unknown): KernelConfig {
  const result = kernelConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`[CONFIG_INVALID] The gateway configuration is invalid:\n${lines.join('\n')}`);
  }
  return result.data;
}
