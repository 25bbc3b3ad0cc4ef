/**
 * @module errors
 * The one error type the gateway throws at clients, and the boot error that collects every
 * problem found before anything starts. Codes are a public contract (DESIGN.md §7).
 */

/** Native error codes and their HTTP status. Modules may use other codes with an explicit status. */
export const ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  VALIDATION_ERROR: 400,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  BUDGET_EXCEEDED: 402,
  CONFLICT: 409,
  UPSTREAM_ERROR: 502,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
  DRAINING: 503,
  NOT_READY: 503,
  INTERNAL: 500,
});

export interface GatewayErrorOptions {
  /** HTTP status; defaults to the status of `code` in ERROR_STATUS, else 500. */
  status?: number;
  /** Extra response headers (Retry-After, rate-limit headers). */
  headers?: Record<string, string>;
  /** Safe, structured detail returned to the client (never a secret). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * An error meant for the client: a stable code, a message that names the thing and the fix.
 * @example throw new GatewayError('NOT_FOUND', `Tenant '${id}' not found`)
 */
export class GatewayError extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code] ?? 500;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof Error && (err as GatewayError).name === 'GatewayError' && typeof (err as GatewayError).code === 'string';
}

/** Stable codes of problems found while loading modules, before any side effect. */
export type BootProblemCode =
  | 'MODULE_CYCLE'
  | 'MODULE_MISSING_DEPENDENCY'
  | 'MODULE_DUPLICATE_ID'
  | 'MODULE_INVALID_ID'
  | 'MODULE_KERNEL_MISMATCH'
  | 'MODULE_CONFIG_INVALID'
  | 'MODULE_NOT_A_MODULE'
  | 'MODULE_LOAD_FAILED'
  | 'ROUTE_MOUNT_COLLISION'
  | 'CONFIG_INVALID';

export interface BootProblem {
  code: BootProblemCode;
  /** The module the problem is about, when there is one. */
  moduleId?: string;
  message: string;
}

/** Every boot problem in one error; its message lists each as `[CODE] message`. */
export class BootError extends Error {
  readonly problems: readonly BootProblem[];
  constructor(problems: BootProblem[]) {
    super(
      `ScaiGrid cannot start: ${problems.length} problem(s)\n` +
        problems.map((p) => `  [${p.code}] ${p.message}`).join('\n'),
    );
    this.name = 'BootError';
    this.problems = Object.freeze([...problems]);
  }
  has(code: BootProblemCode): boolean {
    return this.problems.some((p) => p.code === code);
  }
}
