/**
 * When `pnpm start` rebuilds the bundle: third-party packages are compiled into it, so a new
 * lockfile or install makes it stale, as a changed workspace source does.
 */
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { bundleIsFresh } from '../scripts/build.mjs';

/** A workspace with one plugin source, a lockfile and an install marker, all older than its bundle. */
function workspace(): { dir: string; bundle: string; touch(path: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sg-fresh-'));
  const files = ['plugins/demo/src/index.ts', 'plugins/demo/package.json', 'pnpm-lock.yaml', 'node_modules/.modules.yaml'];
  const past = new Date(Date.now() - 60_000);
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), '');
    utimesSync(join(dir, file), past, past);
  }
  const bundle = join(dir, 'dist/main.mjs');
  mkdirSync(join(dir, 'dist'));
  writeFileSync(bundle, '');
  const later = new Date(Date.now() + 60_000);
  return { dir, bundle, touch: (path) => utimesSync(join(dir, path), later, later) };
}

it('is fresh when nothing is newer than the bundle, and stale without one', () => {
  const w = workspace();
  expect(bundleIsFresh({ bundle: w.bundle, workspace: w.dir })).toBe(true);
  expect(bundleIsFresh({ bundle: join(w.dir, 'dist/none.mjs'), workspace: w.dir })).toBe(false);
});

it.each(['plugins/demo/src/index.ts', 'plugins/demo/package.json', 'pnpm-lock.yaml', 'node_modules/.modules.yaml'])('is stale once %s is newer', (path) => {
  const w = workspace();
  w.touch(path);
  expect(bundleIsFresh({ bundle: w.bundle, workspace: w.dir })).toBe(false);
});
