/**
 * @module api-key-secret
 * API key material: `sgk_` followed by 43 base62 characters (256 random bits). Only the
 * SHA-256 of the whole key is stored. A fast hash is enough here, and a slow KDF (bcrypt,
 * scrypt, argon2) would only add latency to every request: those defend low-entropy
 * passwords against guessing, while a 256-bit random secret cannot be guessed from its hash.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'sgk_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters carry 256 bits. */
const SECRET_LENGTH = 43;
/** Shortest accepted key from the environment (bootstrap, seeds): about 190 bits in base62. */
export const MIN_KEY_LENGTH = API_KEY_PREFIX.length + 32;
/** Characters of the key kept for display: `sgk_` and the first 8 of the secret (47 of 256 bits). */
const HINT_LENGTH = API_KEY_PREFIX.length + 8;

/** A new random key; shown to its creator once, never stored. */
export function generateApiKey(): string {
  let out = API_KEY_PREFIX;
  while (out.length < API_KEY_PREFIX.length + SECRET_LENGTH) {
    for (const byte of randomBytes(64)) {
      // Rejection sampling: 248 = 4 × 62, so every character is equally likely.
      if (byte < 248 && out.length < API_KEY_PREFIX.length + SECRET_LENGTH) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function isApiKeyFormat(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** Hex SHA-256 of the whole key: what the database and the cache hold. One-shot `hash`: no Hash object per request. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function apiKeyHint(key: string): string {
  return key.slice(0, HINT_LENGTH);
}

/** Constant-time equality of two hex hashes (a lookup by hash is then confirmed without a timing side channel). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** Checks a key supplied by an operator (bootstrap env, seeds); returns the problem or undefined. */
export function apiKeyProblem(key: string): string | undefined {
  if (!key.startsWith(API_KEY_PREFIX)) return `must start with '${API_KEY_PREFIX}'`;
  if (key.length < MIN_KEY_LENGTH) return `must be at least ${MIN_KEY_LENGTH} characters (use 'scaigrid keys create' or 32+ random characters)`;
  if (!/^[A-Za-z0-9_-]+$/.test(key.slice(API_KEY_PREFIX.length))) return 'may hold only letters, digits, _ and -';
  return undefined;
}
