/**
 * `start.mjs` builds a stale bundle by running `build.mjs --quiet` in a child process (so the
 * server's own heap never holds esbuild's output); the child must write a working bundle and
 * say nothing unless something is wrong.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const buildScript = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));

it('builds quietly into --outdir from the command line', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'sg-build-'));
  try {
    const quiet = spawnSync(process.execPath, [buildScript, '--quiet', '--outdir', outdir], { encoding: 'utf8' });
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(existsSync(join(outdir, 'main.mjs'))).toBe(true);
    // Without --quiet the same build reports itself, which is how an operator sees it ran.
    const loud = spawnSync(process.execPath, [buildScript, '--outdir', outdir], { encoding: 'utf8' });
    expect(loud.status, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/^built .*main\.mjs \(\d+ plugins\) in \d+ ms/);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}, 60_000);
