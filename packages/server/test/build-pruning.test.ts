/**
 * The bundle's output folder does not grow without end: chunk names carry content hashes, so
 * each rebuild adds files; the build keeps its own and the previous build's, deletes the rest.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { pruneOldBuilds } from '../scripts/build.mjs';

/** Writes one build's files into `dir` and prunes as the build does; returns what is left. */
function buildOnce(dir: string, hash: string): string[] {
  const files = ['main.mjs', 'main.mjs.map', `chunk-${hash}.mjs`, `chunk-${hash}.mjs.map`, `chunk-${hash}.mjs.LEGAL.txt`].map((f) => join(dir, f));
  for (const file of files) writeFileSync(file, hash);
  pruneOldBuilds(dir, files);
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort();
}

it('keeps the current and the previous build, and deletes older ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-dist-'));
  writeFileSync(join(dir, 'notes.txt'), 'not a build file');
  expect(buildOnce(dir, 'AAAA')).toEqual(['chunk-AAAA.mjs', 'chunk-AAAA.mjs.LEGAL.txt', 'chunk-AAAA.mjs.map', 'main.mjs', 'main.mjs.map', 'notes.txt']);
  expect(buildOnce(dir, 'BBBB')).toContain('chunk-AAAA.mjs');
  const third = buildOnce(dir, 'CCCC');
  expect(third.filter((f) => f.includes('AAAA'))).toEqual([]);
  expect(third).toEqual(expect.arrayContaining(['chunk-BBBB.mjs', 'chunk-CCCC.mjs', 'chunk-CCCC.mjs.map', 'main.mjs', 'notes.txt']));
});
