/**
 * @module jwt-verifier
 * Verifies JWTs issued by a trusted identity provider against its JWKS (jose). jose's remote
 * key set caches the keys, refetches on an unknown `kid` at most once per cooldown, and the
 * algorithm allow-list holds asymmetric algorithms only, so `alg: none` and an HS256 token
 * "signed" with the public key are rejected before any key is used. Claims are mapped to a
 * Caller through the configured claim names.
 *
 * A client sends the same token on every request until it expires, and checking its signature
 * costs ~300 µs of CPU (RS256 or ES256), more than the rest of a request's gateway work. So a
 * verified token's caller is kept in memory, by the token's SHA-256, for `verifiedCacheSeconds`
 * and never past the token's own `exp` (+ clock tolerance, as jose allows). The price: a
 * signing key the issuer withdraws stops being honoured for tokens already seen up to that
 * much later (jose's key set already trusts fetched keys for `jwksCacheMaxAgeSeconds`).
 * Failures are not remembered: each invalid token is checked again.
 */
import { hash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Caller } from './caller.js';
import type { JwtConfig } from './config.js';
import type { RoleRegistry } from './roles.js';
import { TtlCache } from './ttl-cache.js';

export class JwtVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;
  private readonly verified: TtlCache<string, Caller> | undefined;

  constructor(
    private readonly config: JwtConfig,
    private readonly roles: RoleRegistry,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), {
      cooldownDuration: config.jwksCooldownSeconds * 1000,
      cacheMaxAge: config.jwksCacheMaxAgeSeconds * 1000,
      timeoutDuration: config.jwksTimeoutMs,
    });
    if (config.verifiedCacheSeconds > 0) this.verified = new TtlCache(config.verifiedCacheMaxEntries, config.verifiedCacheSeconds * 1000, now);
  }

  /** The caller for a valid token; throws (any jose error) when it is not valid. */
  async verify(token: string): Promise<Caller> {
    const cacheKey = this.verified ? hash('sha256', token, 'base64url') : '';
    const known = this.verified?.get(cacheKey);
    if (known) return known;
    const { payload } = await jwtVerify(token, this.keys, {
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: this.config.algorithms,
      clockTolerance: this.config.clockToleranceSeconds,
      requiredClaims: ['exp'],
      currentDate: new Date(this.now()),
    });
    const caller = this.toCaller(payload);
    // `exp` is a required claim, so jose has checked it is a number in the future (within tolerance).
    this.verified?.set(cacheKey, caller, (payload.exp! + this.config.clockToleranceSeconds) * 1000 - this.now());
    return caller;
  }

  private toCaller(payload: JWTPayload): Caller {
    const { claims } = this.config;
    const roles = readList(payload[claims.roles]);
    return Object.freeze({
      kind: 'jwt' as const,
      userId: readString(payload[claims.userId]),
      tenantId: readString(payload[claims.tenantId]),
      partnerId: readString(payload[claims.partnerId]),
      roles: Object.freeze(roles),
      permissions: this.roles.permissionsFor(roles),
    });
  }
}

function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** Roles arrive as an array or as a space-separated string (the OAuth `scope` habit). */
function readList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  return [];
}

/** Three base64url parts separated by dots (the compact JWS form). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
