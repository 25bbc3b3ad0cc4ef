/**
 * The profile summary names a hot function by its original file when the script it ran in has
 * a source map beside it (the server bundle does), and by the script itself when not.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';
import { summarizeProfile } from '../profile-summary.js';

/** Writes a .cpuprofile of the given nodes with one 100 µs sample per entry of `samples`. */
function writeProfile(dir: string, nodes: unknown[], samples: number[]): string {
  const file = join(dir, 'CPU.cpuprofile');
  const timeDeltas = samples.map(() => 100);
  writeFileSync(file, JSON.stringify({ nodes, samples, timeDeltas, startTime: 0, endTime: 100 * samples.length }));
  return file;
}

it('maps frames of a bundled file back to their source file and package', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-prof-'));
  const source = join(dir, 'plugins/demo/src/hot.ts');
  mkdirSync(join(dir, 'plugins/demo/src'), { recursive: true });
  writeFileSync(source, 'export function hotLoop(n: number): number {\n  let s = 0;\n  for (let i = 0; i < n; i++) s += i;\n  return s;\n}\n');
  const bundle = join(dir, 'dist/main.mjs');
  await build({ entryPoints: [source], bundle: true, format: 'esm', outfile: bundle, sourcemap: 'linked', minifyWhitespace: true, logLevel: 'silent' });
  // The function sits on line 1 of the whitespace-minified bundle; find its column there.
  const column = readFileSync(bundle, 'utf8').split('\n')[0]!.indexOf('function hotLoop');
  const frame = (url: string, columnNumber: number) => ({ functionName: 'hotLoop', url, lineNumber: 0, columnNumber });
  const nodes = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
    { id: 2, callFrame: frame(pathToFileURL(bundle).href, column) },
    { id: 3, callFrame: frame('file:///elsewhere/unmapped.mjs', 0) },
  ];
  const file = writeProfile(dir, nodes, [2, 2, 2, 3]);
  const summary = summarizeProfile(file);
  expect(summary).toMatch(/75\.0%\s+hotLoop plugins\/demo\/src\/hot\.ts:1/);
  expect(summary).toMatch(/75\.0%\s+plugins\/demo/);
  expect(summary).toMatch(/25\.0%\s+hotLoop \/elsewhere\/unmapped\.mjs:1/);
});

it('charges library and internal time to the innermost workspace function that called it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-prof-'));
  const at = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
  const nodes = [
    { id: 1, callFrame: at('(root)', ''), children: [2, 5] },
    { id: 2, callFrame: at('settle', 'file:///repo/plugins/accounting/src/ledger.ts'), children: [3] },
    { id: 3, callFrame: at('sendCommand', 'file:///repo/node_modules/ioredis/built/Redis.js'), children: [4] },
    { id: 4, callFrame: at('writeUtf8String', 'node:internal/stream_base_commons') },
    { id: 5, callFrame: at('(garbage collector)', '') },
  ];
  const file = writeProfile(dir, nodes, [4, 3, 2, 5]);
  const inclusive = summarizeProfile(file).split('time by innermost workspace function')[1]!;
  // The ioredis and node:internal samples count for `settle`; the collector has no workspace frame.
  expect(inclusive).toMatch(/75\.0%\s+settle plugins\/accounting\/src\/ledger\.ts:1/);
  expect(inclusive).toMatch(/25\.0%\s+\(no workspace frame\) \(native \/ VM\)/);
  expect(inclusive).toMatch(/75\.0%\s+plugins\/accounting/);
});

it('keeps only the samples inside the given windows, and gives the busy time per window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-prof-'));
  const at = (functionName: string) => ({ functionName, url: 'file:///repo/plugins/demo/src/a.ts', lineNumber: 0, columnNumber: 0 });
  const nodes = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3, 4] },
    { id: 2, callFrame: at('wayIn') },
    { id: 3, callFrame: at('between') },
    { id: 4, callFrame: at('wayOut') },
  ];
  // Samples at 100, 200, …, 600 µs.
  const file = writeProfile(dir, nodes, [2, 2, 3, 3, 4, 4]);
  // Out of order and overlapping (the first two join into 50-250): the four samples of wayIn and wayOut.
  const summary = summarizeProfile(file, 25, [
    { fromUs: 450, toUs: 650 },
    { fromUs: 50, toUs: 150 },
    { fromUs: 120, toUs: 250 },
  ]);
  expect(summary).toMatch(/busy 0\.00 s of 0\.00 s sampled .*; 133 µs busy per window over 3 windows/);
  expect(summary).toMatch(/50\.0%\s+wayIn/);
  expect(summary).toMatch(/50\.0%\s+wayOut/);
  expect(summary).not.toMatch(/between/);
});

it('lists self time by source line from a readable bundle, and says how to get one from a minified bundle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-prof-'));
  const source = join(dir, 'plugins/demo/src/hot.ts');
  mkdirSync(join(dir, 'plugins/demo/src'), { recursive: true });
  writeFileSync(source, 'export function hotLoop(keys: string[]): string[] {\n  const out = ["first"];\n  return out.concat(keys.flatMap((k) => [k, k + ":x"]));\n}\n');
  const summarize = async (minifyWhitespace: boolean) => {
    const bundle = join(dir, `dist-${minifyWhitespace}/main.mjs`);
    await build({ entryPoints: [source], bundle: true, format: 'esm', outfile: bundle, sourcemap: 'linked', minifyWhitespace, logLevel: 'silent' });
    const lines = readFileSync(bundle, 'utf8').split('\n');
    // The bundle's line holding the flatMap call, and the one holding `const out` (1-based, as V8 counts them).
    const hot = lines.findIndex((l) => l.includes('flatMap')) + 1;
    const cold = lines.findIndex((l) => l.includes('"first"')) + 1;
    const nodes = [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
      { id: 2, callFrame: { functionName: 'hotLoop', url: pathToFileURL(bundle).href, lineNumber: 0, columnNumber: 0 }, hitCount: 4, positionTicks: [{ line: hot, ticks: 3 }, { line: cold, ticks: 1 }] },
      { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 }, hitCount: 4 },
    ];
    return summarizeProfile(writeProfile(dir, nodes, [2, 2, 2, 2, 3, 3, 3, 3])).split('self time by source line')[1]!;
  };
  const readable = await summarize(false);
  // Percentages of the busy samples (idle left out): 3 of 4 on the flatMap line, 1 on the other.
  expect(readable).toMatch(/75\.0%\s+plugins\/demo\/src\/hot\.ts:3\s+return out\.concat/);
  expect(readable).toMatch(/25\.0%\s+plugins\/demo\/src\/hot\.ts:2\s+const out/);
  expect(await summarize(true)).toContain('build.mjs --readable');
});
