/**
 * JWTs from a trusted issuer, verified against a JWKS served by a loopback HTTP server
 * (RFC 7517 key set, as an identity provider publishes it), and static service tokens.
 * Everything that is not a valid token from that issuer for this audience is 401.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startAuthKernel, type AuthTestKernel } from './helpers.js';

const ISSUER = 'https://idp.test.example';
const AUDIENCE = 'scaigrid';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('JWT and service tokens', () => {
  let t: AuthTestKernel;
  let jwks: Server;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let jwksFetches = 0;
  const serviceToken = randomBytes(32).toString('hex');
  const serviceEnv = `SG_TEST_SVC_${randomBytes(4).toString('hex').toUpperCase()}`;

  const sign = (claims: Record<string, unknown>, options: { key?: CryptoKey; kid?: string; alg?: string; exp?: number | string; nbf?: number | string; iss?: string; aud?: string } = {}) => {
    const jwt = new SignJWT({ tenant_id: 'tenant-1', partner_id: 'partner-1', roles: ['member'], ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1' })
      .setSubject('user-1')
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m');
    if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
    return jwt.sign(options.key ?? rsa.privateKey);
  };
  const me = (token: string) => t.fetch('/v1/auth/me', { headers: bearer(token) });

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    const keys: JWK[] = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    jwks = createServer((req, res) => {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    t = await startAuthKernel({
      env: { [serviceEnv]: serviceToken },
      auth: {
        jwt: { jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 5 },
        serviceTokens: [{ name: 'billing', tokenEnv: serviceEnv, permissions: ['models:use'] }],
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise((resolve) => jwks?.close(resolve));
    delete process.env[serviceEnv];
  });

  it('accepts a valid RS256 or ES256 token and maps its claims to the caller', async () => {
    const res = await me(await sign({ roles: ['member', 'tenant-admin'] }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      kind: 'jwt',
      user_id: 'user-1',
      tenant_id: 'tenant-1',
      partner_id: 'partner-1',
      roles: ['member', 'tenant-admin'],
      scope: 'tenant',
    });
    expect((await me(await sign({}, { key: ec.privateKey, kid: 'ec-1', alg: 'ES256' }))).status).toBe(200);
    const guarded = await t.fetch('/v1/modules/probe/use', { headers: bearer(await sign({ roles: 'member' })) });
    expect(guarded.status).toBe(200);
    const noRole = await t.fetch('/v1/modules/probe/use', { headers: bearer(await sign({ roles: [] })) });
    expect(noRole.status).toBe(403);
  });

  it('rejects expired, not-yet-valid, wrong issuer and wrong audience tokens with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      expired: await sign({}, { exp: now - 60 }),
      notYetValid: await sign({}, { nbf: now + 120 }),
      wrongIssuer: await sign({}, { iss: 'https://evil.example' }),
      wrongAudience: await sign({}, { aud: 'someone-else' }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const res = await me(token);
      expect(res.status, name).toBe(401);
      expect((await res.json()).error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Invalid or expired credential.' });
    }
  });

  it("rejects alg 'none' and an HS256 token signed with the issuer's public key", async () => {
    const payload = { sub: 'user-1', iss: ISSUER, aud: AUDIENCE, roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    expect((await me(none)).status).toBe(401);

    const publicPem = await exportSPKI(rsa.publicKey);
    const confused = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(publicPem));
    expect((await me(confused)).status).toBe(401);
    const publicJwk = JSON.stringify(await exportJWK(rsa.publicKey));
    const confusedJwk = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).sign(new TextEncoder().encode(publicJwk));
    expect((await me(confusedJwk)).status).toBe(401);
  });

  it('rejects an unknown kid and a key the issuer never published', async () => {
    const stranger = await generateKeyPair('RS256');
    expect((await me(await sign({}, { key: stranger.privateKey, kid: 'unknown-kid' }))).status).toBe(401);
    expect((await me(await sign({}, { key: stranger.privateKey, kid: 'rsa-1' }))).status).toBe(401);
  });

  it('rejects a tampered payload', async () => {
    const valid = await sign({ roles: ['member'] });
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${b64({ ...claims, roles: ['admin'] })}.${signature}`;
    expect((await me(valid)).status).toBe(200);
    expect((await me(tampered)).status).toBe(401);
  });

  it('caches the JWKS instead of fetching it per request', async () => {
    const before = jwksFetches;
    for (let i = 0; i < 5; i++) expect((await me(await sign({}))).status).toBe(200);
    expect(jwksFetches).toBe(before);
  });

  it('accepts a configured service token and grants exactly its permissions', async () => {
    const res = await me(serviceToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ kind: 'service', name: 'billing', permissions: ['models:use'] });
    expect((await t.fetch('/v1/modules/probe/use', { headers: bearer(serviceToken) })).status).toBe(200);
    expect((await t.fetch('/v1/modules/probe/use', { headers: { 'x-api-key': serviceToken } })).status).toBe(200);
    expect((await t.fetch('/v1/admin/keys', { headers: bearer(serviceToken) })).status).toBe(403);
    expect((await me(`${serviceToken.slice(0, -1)}x`)).status).toBe(401);
  });
});
