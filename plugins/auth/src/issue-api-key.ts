/**
 * @module issue-api-key
 * Creates a key row from a secret (new, or supplied by the operator for bootstrap and
 * seeds) and hands the secret back exactly once; only its hash and hint are stored.
 */
import { apiKeyHint, generateApiKey, hashApiKey } from './api-key-secret.js';
import type { ApiKeyStore, NewApiKey } from './store/api-key-store.js';
import type { ApiKeyRecord } from './store/records.js';

export async function issueApiKey(
  store: ApiKeyStore,
  input: Omit<NewApiKey, 'hint' | 'hash'>,
  secret: string = generateApiKey(),
): Promise<{ key: ApiKeyRecord; secret: string }> {
  const key = await store.create({ ...input, hint: apiKeyHint(secret), hash: hashApiKey(secret) });
  return { key, secret };
}
