/**
 * The verified-token cache of the JWT verifier: a token seen once is not checked again until
 * `verifiedCacheSeconds` pass or the token expires, whichever is first. What proves a hit is a
 * withdrawn signing key: the issuer's JWKS (a loopback server) drops the key, jose's key set
 * refetches it, and only a remembered token is still accepted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { jwtConfigSchema } from '../src/config.js';
import { JwtVerifier } from '../src/jwt-verifier.js';
import { AUTH_PERMISSIONS } from '../src/permissions.js';
import { RoleRegistry } from '../src/roles.js';

const ISSUER = 'https://idp.test.example';
const AUDIENCE = 'scaigrid';

let jwks: Server;
let jwksUrl: string;
let published: JWK[] = [];
let old: CryptoKey;
let next: CryptoKey;
let oldJwk: JWK;
let nextJwk: JWK;
let clock: number;

beforeAll(async () => {
  const a = await generateKeyPair('ES256', { extractable: true });
  const b = await generateKeyPair('ES256', { extractable: true });
  old = a.privateKey;
  next = b.privateKey;
  oldJwk = { ...(await exportJWK(a.publicKey)), kid: 'old', alg: 'ES256' };
  nextJwk = { ...(await exportJWK(b.publicKey)), kid: 'next', alg: 'ES256' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise((resolve) => jwks?.close(resolve)));
beforeEach(() => {
  published = [oldJwk];
  clock = Date.now();
});

function verifier(options: { verifiedCacheSeconds?: number; verifiedCacheMaxEntries?: number } = {}): JwtVerifier {
  const config = jwtConfigSchema.parse({ jwksUrl, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0, jwksCooldownSeconds: 0, ...options });
  return new JwtVerifier(config, new RoleRegistry({}, Object.keys(AUTH_PERMISSIONS)), () => clock);
}

function sign(key: CryptoKey, kid: string, subject: string, expiresInSeconds = 300): Promise<string> {
  return new SignJWT({ roles: ['member'] })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime(Math.floor(clock / 1000) + expiresInSeconds)
    .sign(key);
}

/** The issuer rotates: `old` is withdrawn, and a token signed with `next` makes jose refetch the set. */
async function withdrawOldKey(v: JwtVerifier): Promise<void> {
  published = [nextJwk];
  expect((await v.verify(await sign(next, 'next', 'rotator'))).userId).toBe('rotator');
}

it('serves a verified token from memory, so a later withdrawal of its key does not reach it yet', async () => {
  const v = verifier({ verifiedCacheSeconds: 60 });
  const token = await sign(old, 'old', 'ada');
  const first = await v.verify(token);
  expect(first.userId).toBe('ada');
  await withdrawOldKey(v);
  // Remembered: the very same caller, without a signature check against the (now changed) key set.
  expect(await v.verify(token)).toBe(first);
  // A token never seen before with the withdrawn key is checked, and refused.
  await expect(v.verify(await sign(old, 'old', 'grace'))).rejects.toThrow();
});

it('checks every request when the cache is off (the withdrawn key is refused at once)', async () => {
  const v = verifier({ verifiedCacheSeconds: 0 });
  const token = await sign(old, 'old', 'ada');
  expect((await v.verify(token)).userId).toBe('ada');
  await withdrawOldKey(v);
  await expect(v.verify(token)).rejects.toThrow();
});

it('forgets a token after verifiedCacheSeconds', async () => {
  const v = verifier({ verifiedCacheSeconds: 60 });
  const token = await sign(old, 'old', 'ada', 3600);
  await v.verify(token);
  await withdrawOldKey(v);
  clock += 59_000;
  expect((await v.verify(token)).userId).toBe('ada');
  clock += 2_000;
  await expect(v.verify(token)).rejects.toThrow();
});

it('never keeps a token past its own exp', async () => {
  const v = verifier({ verifiedCacheSeconds: 600 });
  const token = await sign(old, 'old', 'ada', 10);
  expect((await v.verify(token)).userId).toBe('ada');
  clock += 9_000;
  expect((await v.verify(token)).userId).toBe('ada');
  clock += 2_000;
  await expect(v.verify(token)).rejects.toThrow(/exp/);
});

it('holds at most verifiedCacheMaxEntries tokens, dropping the least recently used', async () => {
  const v = verifier({ verifiedCacheSeconds: 60, verifiedCacheMaxEntries: 3 });
  const [a, b, c] = [await sign(old, 'old', 'a'), await sign(old, 'old', 'b'), await sign(old, 'old', 'c')];
  await v.verify(a);
  await v.verify(b);
  await v.verify(c);
  await v.verify(a); // a, first in, is now the most recently used: b is the least
  await withdrawOldKey(v); // the rotator's token is a fourth entry: b goes
  expect((await v.verify(a)).userId).toBe('a');
  expect((await v.verify(c)).userId).toBe('c');
  await expect(v.verify(b)).rejects.toThrow();
});

it('does not remember a failure: a token refused once is checked again', async () => {
  const v = verifier({ verifiedCacheSeconds: 60 });
  published = [];
  const token = await sign(old, 'old', 'ada');
  await expect(v.verify(token)).rejects.toThrow();
  published = [oldJwk];
  expect((await v.verify(token)).userId).toBe('ada');
});
