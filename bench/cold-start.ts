/**
 * @module bench/cold-start
 * Cold start to `/ready`: spawns the real `scaigrid` process N times on fresh embedded
 * stores and times from spawn to the first 200 from /ready. Prints each run and the median,
 * with the CPU time the process used to get there (user + system, all threads) and its RSS
 * then: on a shared machine the wall time swings with other load, the CPU time much less.
 * Runs what `pnpm start` runs (the built bundle when there is one, else main.ts via tsx).
 *
 * @example
 * npx tsx bench/cold-start.ts --runs 5 --config examples/scaigrid.examples.yaml
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMicros, nodeOnCpu, rssMb, serverCommand } from './gateway.js';

const root = resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

export interface ColdStart {
  /** Spawn to the first 200 from /ready. */
  ms: number;
  /** CPU time of the process until then. */
  cpuMs: number;
  /** Resident memory at that moment. */
  rssMb: number;
}

/**
 * One cold start in milliseconds: a fresh sqlite file and blob dir, the given config (default:
 * the built-in quick start), `env` on top of this process's environment (e.g. `SCAIGRID_REDIS_URL`),
 * on `cpu` alone when given (`pnpm bench`: the gateway's core; otherwise the process would
 * inherit the bench's, beside the mock, Redis and the load generator).
 */
export async function coldStart(config?: string, env: NodeJS.ProcessEnv = {}, cpu?: number): Promise<number> {
  return (await measureColdStart(config, env, cpu)).ms;
}

/** One cold start with the CPU time and memory it took. */
export async function measureColdStart(config?: string, env: NodeJS.ProcessEnv = {}, cpu?: number): Promise<ColdStart> {
  const cwd = mkdtempSync(join(tmpdir(), 'sg-cold-'));
  const port = await freePort();
  const started = performance.now();
  const command = serverCommand();
  const child = spawn(...nodeOnCpu(cpu, command.args), {
    cwd: root,
    env: {
      ...process.env,
      ...command.env,
      SCAIGRID_PORT: String(port),
      SCAIGRID_LOG_LEVEL: 'warn',
      SCAIGRID_DATABASE_URL: `sqlite:${join(cwd, 'gw.db')}`,
      SCAIGRID_BLOB_URL: `file:${join(cwd, 'blobs')}`,
      ...(config ? { SCAIGRID_CONFIG: resolve(config) } : {}),
      ...env,
    },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/ready`);
        if (res.status === 200) return { ms: performance.now() - started, cpuMs: cpuMicros(child.pid!) / 1000, rssMb: rssMb(child.pid!) };
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`scaigrid exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, config: { type: 'string' }, cpu: { type: 'string' } } });
  const runs: ColdStart[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const run = await measureColdStart(values.config, {}, values.cpu === undefined ? undefined : Number(values.cpu));
    runs.push(run);
    console.log(`run ${i + 1}: ${run.ms.toFixed(0)} ms (CPU ${run.cpuMs.toFixed(0)} ms, RSS ${run.rssMb.toFixed(1)} MB)`);
  }
  const median = (pick: (r: ColdStart) => number) => [...runs.map(pick)].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  console.log(
    `median cold start to /ready: ${median((r) => r.ms).toFixed(0)} ms (${runs.length} runs); ` +
      `CPU to ready ${median((r) => r.cpuMs).toFixed(0)} ms, RSS at ready ${median((r) => r.rssMb).toFixed(1)} MB`,
  );
}
