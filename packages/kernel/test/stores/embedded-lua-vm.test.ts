import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The kernel's own view of fengari: the copy its `import fengari from 'fengari'` loads.
const fengariSources = dirname(createRequire(import.meta.url).resolve('fengari'));

describe('the embedded store\'s Lua VM (fengari, patched)', () => {
  it('pops values off its stack by overwriting them, not with `delete` (patches/fengari@0.1.5.patch)', () => {
    // `delete` on the stack array's elements leaves holes, and a holey array is several times
    // slower to read and write in V8: with it, fengari's adjust_top alone was 19 % of the
    // gateway's CPU on memory:// (bench/README.md, "The embedded store's Lua"). A fengari that
    // lost the patch (a version bump, a changed install) fails here, not only in the bench.
    const files = readdirSync(fengariSources).filter((name) => name.endsWith('.js'));
    expect(files).toContain('ldo.js');
    const deletes = files.flatMap((name) =>
      readFileSync(join(fengariSources, name), 'utf8')
        .split('\n')
        .filter((line) => /delete\s+\w+\.stack\[/.test(line))
        .map((line) => `${name}: ${line.trim()}`),
    );
    expect(deletes).toEqual([]);
  });
});
