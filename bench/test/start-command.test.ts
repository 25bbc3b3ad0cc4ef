/**
 * The bench runs the server with the environment and node flags of the checkout's own `pnpm
 * start` script, so the memory settings in that script are measured, and `bench/compare.ts` runs
 * each side with its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root, serverCommand, startCommandOf } from '../gateway.js';

function checkoutWithStart(start: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-start-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { start } }));
  return dir;
}

it("keeps the start script's environment and flags and resolves its script in that checkout", () => {
  const dir = checkoutWithStart('A_B_=1 C=x=y node --max-semi-space-size=8 --v8-pool-size=1 scripts/run.mjs');
  expect(startCommandOf(dir)).toEqual({ env: { A_B_: '1', C: 'x=y' }, args: ['--max-semi-space-size=8', '--v8-pool-size=1', join(dir, 'scripts/run.mjs')] });
  expect(startCommandOf(checkoutWithStart('node scripts/run.mjs'))).toEqual({ env: {}, args: [expect.stringMatching(/scripts\/run\.mjs$/)] });
});

it('refuses a start script it cannot run as node arguments', () => {
  expect(() => startCommandOf(checkoutWithStart('tsx src/main.ts'))).toThrow(/is not "\[NAME=value \.\.\.\] node \[flags\] <script>"/);
  expect(() => startCommandOf(checkoutWithStart('X=1 node'))).toThrow(/is not/);
});

it("runs this checkout's pnpm start: glibc trims freed memory, the young generation is capped at 2 × 8 MB", () => {
  const command = serverCommand();
  expect(command.args.at(-1)).toBe(join(root, 'packages/server/scripts/start.mjs'));
  // A fixed threshold: glibc's own grows with the largest block freed, and then keeps what
  // V8's helper threads freed (~3.5 MB per thread after a load run) for the process's life.
  expect(command.env).toEqual({ MALLOC_TRIM_THRESHOLD_: '131072' });
  const flags = command.args.filter((word) => word.startsWith('-'));
  expect(flags).toContain('--max-semi-space-size=8');
  // The flag does what the script means: a young generation that cannot grow past 16 MB.
  const churn = 'let keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i, s: "x" + i }); if (keep.length > 50000) keep = []; }';
  const report = 'console.log(require("node:v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size)';
  const run = (nodeFlags: string[]) => Number(spawnSync(process.execPath, [...nodeFlags, '-e', `${churn}; ${report}`], { encoding: 'utf8' }).stdout.trim());
  expect(run(flags)).toBeLessThanOrEqual(16 * 1024 * 1024);
  expect(run([])).toBeGreaterThan(16 * 1024 * 1024);
});
