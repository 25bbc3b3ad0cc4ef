/**
 * @module config
 * The auth plugin's configuration: role definitions (merged over the defaults), API key
 * cache bounds, the JWT issuer to trust, service tokens, bootstrap and declarative seeds.
 * Every section has defaults so that `auth: {}` gives a working gateway with one admin key.
 */
import { z } from 'zod';

const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower-case letters, digits, _ or - (max 64)');

export const jwtConfigSchema = z.object({
  jwksUrl: z.url().describe('Where the issuer publishes its signing keys (JWKS), e.g. https://idp.example.com/.well-known/jwks.json.'),
  issuer: z.string().min(1).describe('Required `iss` claim.'),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).describe('Required `aud` claim (one of these).'),
  algorithms: z
    .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
    .min(1)
    .default(['RS256', 'ES256'])
    .describe('Accepted signature algorithms; asymmetric only, so a public key can never be used as an HMAC secret.'),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30).describe('Allowed clock skew for exp/nbf/iat.'),
  jwksCooldownSeconds: z.number().int().min(0).default(30).describe('Minimum time between JWKS refetches on an unknown kid.'),
  jwksCacheMaxAgeSeconds: z.number().int().min(1).default(600).describe('How long fetched signing keys are trusted before a refetch.'),
  jwksTimeoutMs: z.number().int().min(100).default(5000).describe('Timeout of a JWKS fetch.'),
  verifiedCacheSeconds: z
    .number()
    .int()
    .min(0)
    .default(60)
    .describe("How long a verified token's caller is served from memory (never past the token's exp); a signature check costs ~300 µs of CPU. 0 verifies every request."),
  verifiedCacheMaxEntries: z.number().int().min(1).default(10_000).describe('Verified tokens remembered at most (least recently used go first).'),
  claims: z
    .object({
      userId: z.string().default('sub'),
      tenantId: z.string().default('tenant_id'),
      partnerId: z.string().default('partner_id'),
      roles: z.string().default('roles'),
    })
    .prefault({})
    .describe('Which claim holds each caller attribute; roles may be an array or a space-separated string.'),
});

export const serviceTokenSchema = z.object({
  name: z.string().min(1).describe('Shown in logs and audit as the caller name.'),
  tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).describe('Environment variable holding the token (never the token itself in config).'),
  permissions: z.array(z.string().min(1)).default([]).describe('Permissions the token grants.'),
});

export const seedSchema = z
  .object({
    partners: z.array(z.object({ slug, name: z.string().min(1).optional() })).default([]),
    tenants: z.array(z.object({ slug, name: z.string().min(1).optional(), partner: slug.optional() })).default([]),
    users: z
      .array(z.object({ email: z.email(), name: z.string().optional(), tenant: slug.optional(), partner: slug.optional(), roles: z.array(z.string()).default(['member']) }))
      .default([]),
    keys: z
      .array(
        z.object({
          name: z.string().min(1),
          tenant: slug.optional(),
          partner: slug.optional(),
          roles: z.array(z.string()).default(['member']),
          scopes: z.array(z.string()).default([]),
          secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).describe('Environment variable holding the key (sgk_...).'),
        }),
      )
      .default([]),
  })
  .prefault({});

export const authConfigSchema = z.object({
  roles: z
    .record(z.string().regex(/^[a-z][a-z0-9:_-]{0,63}$/), z.array(z.string().min(1)))
    .default({})
    .describe("Role → permissions, merged over the defaults (admin, partner-admin, tenant-admin, member). '*' grants every permission; a trailing '?' grants it only when some loaded module declares it."),
  keyCache: z
    .object({
      ttlSeconds: z.number().int().min(1).default(60).describe('How long a resolved key is served from memory before it is re-read.'),
      maxEntries: z.number().int().min(1).default(10_000),
      negativeTtlSeconds: z.number().int().min(1).default(60).describe('How long an unknown key is remembered as unknown.'),
      negativeMaxEntries: z.number().int().min(1).default(10_000).describe('Bounded separately so a flood of random keys cannot evict real ones.'),
    })
    .prefault({}),
  lastUsedFlushSeconds: z.number().int().min(0).default(60).describe('How often last_used_at is written in one batch (0 disables); never on the request path.'),
  jwt: jwtConfigSchema.optional(),
  serviceTokens: z.array(serviceTokenSchema).default([]),
  bootstrap: z
    .object({
      enabled: z.boolean().default(true).describe('Create a global admin key when the database holds no key at all.'),
      adminKeyEnv: z.string().default('SCAIGRID_BOOTSTRAP_ADMIN_KEY').describe('Env var with the key to use; generated and printed once when unset.'),
      defaultTenant: z.boolean().default(true).describe("Seed a tenant with slug 'default'."),
    })
    .prefault({}),
  seed: seedSchema,
});

export type AuthConfig = z.output<typeof authConfigSchema>;
export type JwtConfig = z.output<typeof jwtConfigSchema>;
export type ServiceTokenConfig = z.output<typeof serviceTokenSchema>;
export type SeedConfig = z.output<typeof seedSchema>;
