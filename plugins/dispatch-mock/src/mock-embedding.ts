/**
 * @module mock-embedding
 * Deterministic embeddings: SHA-256 of the input (with a block counter for more than 32
 * bytes' worth of dimensions), each byte mapped to [-1, 1], then scaled to unit length so
 * cosine similarity behaves. Same text, same vector, on every machine.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_DIMENSIONS = 8;

export function mockEmbedding(text: string, dimensions = DEFAULT_DIMENSIONS): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (const byte of digest) {
      if (values.length === dimensions) break;
      values.push(byte / 127.5 - 1);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}
