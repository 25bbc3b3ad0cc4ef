/**
 * @module jwt-verifier
 * Verifies JWTs issued by a trusted identity provider against its JWKS (jose). jose's remote
 * key set caches the keys, refetches on an unknown `kid` at most once per cooldown, and the
 * algorithm allow-list holds asymmetric algorithms only, so `alg: none` and an HS256 token
 * "signed" with the public key are rejected before any key is used. Claims are mapped to a
 * Caller through the configured claim names.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Caller } from './caller.js';
import type { JwtConfig } from './config.js';
import type { RoleRegistry } from './roles.js';

export class JwtVerifier {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly config: JwtConfig,
    private readonly roles: RoleRegistry,
  ) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), {
      cooldownDuration: config.jwksCooldownSeconds * 1000,
      cacheMaxAge: config.jwksCacheMaxAgeSeconds * 1000,
      timeoutDuration: config.jwksTimeoutMs,
    });
  }

  /** The caller for a valid token; throws (any jose error) when it is not valid. */
  async verify(token: string): Promise<Caller> {
    const { payload } = await jwtVerify(token, this.keys, {
      issuer: this.config.issuer,
      audience: this.config.audience,
      algorithms: this.config.algorithms,
      clockTolerance: this.config.clockToleranceSeconds,
      requiredClaims: ['exp'],
    });
    return this.toCaller(payload);
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
