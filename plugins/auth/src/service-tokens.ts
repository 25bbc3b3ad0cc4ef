/**
 * @module service-tokens
 * Static tokens for other services (a billing job, a CI pipeline), read from environment
 * variables named in the config. A presented token is hashed and compared with every
 * configured token's hash in constant time, without stopping at the first match, so timing
 * reveals neither which token matched nor how much of one did.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Caller } from './caller.js';
import type { ServiceTokenConfig } from './config.js';

interface ServiceToken {
  digest: Buffer;
  caller: Caller;
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Shortest accepted service token: shorter ones could be guessed. */
export const MIN_SERVICE_TOKEN_LENGTH = 24;

export class ServiceTokens {
  private readonly tokens: ServiceToken[];

  /** Throws naming the token whose env var is unset or too short, or whose permission is undeclared. */
  constructor(configs: readonly ServiceTokenConfig[], env: NodeJS.ProcessEnv, declared: readonly string[]) {
    const known = new Set(declared);
    const problems: string[] = [];
    this.tokens = [];
    for (const config of configs) {
      const value = env[config.tokenEnv];
      if (!value) problems.push(`service token '${config.name}': env ${config.tokenEnv} is not set`);
      else if (value.length < MIN_SERVICE_TOKEN_LENGTH) problems.push(`service token '${config.name}': env ${config.tokenEnv} must hold at least ${MIN_SERVICE_TOKEN_LENGTH} characters`);
      for (const p of config.permissions) if (!known.has(p)) problems.push(`service token '${config.name}' grants unknown permission '${p}'`);
      if (!value) continue;
      this.tokens.push({
        digest: digest(value),
        caller: Object.freeze({ kind: 'service' as const, name: config.name, roles: Object.freeze([]), permissions: new Set(config.permissions) }),
      });
    }
    if (problems.length > 0) throw new Error(`[AUTH_SERVICE_TOKEN_INVALID] ${problems.join('; ')}. Fix auth.serviceTokens or the environment.`);
  }

  get size(): number {
    return this.tokens.length;
  }

  match(token: string): Caller | undefined {
    const presented = digest(token);
    let found: Caller | undefined;
    for (const candidate of this.tokens) {
      if (timingSafeEqual(candidate.digest, presented) && !found) found = candidate.caller;
    }
    return found;
  }
}
