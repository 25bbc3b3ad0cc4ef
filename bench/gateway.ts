/**
 * @module bench/gateway
 * Runs ScaiGrid for the benchmark as the real `scaigrid` process with the full plugin set
 * (auth with a seeded `sgk_` key, ratelimit, routing, dispatch, accounting with a budget,
 * audit, prompts, dispatch-openai) pointed at the mock upstream, pinned to one CPU core. Also
 * reads the process's CPU time and RSS from /proc, which is what "cost per request" means.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GcTally, type GcTotals } from './gc-trace.js';

export const root = resolve(import.meta.dirname, '..');

/** Plugins loaded in the benchmark, in config order; optional ones are skipped while absent. */
const PLUGINS: { dir: string; optional?: boolean }[] = [
  { dir: 'auth' },
  { dir: 'ratelimit', optional: true },
  { dir: 'routing' },
  { dir: 'dispatch' },
  { dir: 'inference' },
  { dir: 'accounting', optional: true },
  { dir: 'audit', optional: true },
  { dir: 'prompts' },
  { dir: 'dispatch-openai' },
];

export const BENCH_KEY_ENV = 'SCAIGRID_BENCH_KEY';
/** The model slugs the bench calls; the `-delay-5` upstream model makes the mock wait 5 ms per chunk. */
export const MODELS = { fast: 'bench', slow: 'bench-slow' } as const;
export const UPSTREAM_MODELS = { fast: 'mock-model', slow: 'mock-model-delay-5' } as const;

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/**
 * The chat request every bench tool sends: a system and a user message, `max_tokens` 64, and
 * for a stream `stream_options.include_usage`. `probe` marks a first-byte probe for the mock to
 * time (see mock-upstream.ts).
 */
export function chatBody(model: string, stream: boolean, probe?: string): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: probe === undefined ? 'Write one sentence about a fox.' : `Write one sentence about a fox. probe:${probe}` },
    ],
    max_tokens: 64,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

export function newApiKey(): string {
  let s = 'sgk_';
  for (let i = 0; i < 43; i++) s += BASE62[randomInt(62)];
  return s;
}

export function loadedPlugins(checkout = root): string[] {
  return PLUGINS.filter((p) => !p.optional || existsSync(join(checkout, 'plugins', p.dir, 'src/index.ts'))).map((p) => p.dir);
}

/**
 * The YAML config of the benchmark gateway. Module paths are absolute, so it can live in a temp
 * dir, and point into `checkout`, the tree whose server runs: a server finds a module in its
 * bundle by that path, and would load another tree's plugins from source instead.
 */
export function benchConfig(upstreamPort: number, checkout = root, plugins = loadedPlugins(checkout)): string {
  const has = (p: string) => plugins.includes(p);
  const lines = [
    'modules:',
    ...plugins.map((p) => `  - '${join(checkout, 'plugins', p)}'`),
    'config:',
    '  auth:',
    '    bootstrap: { enabled: false }',
    '    seed:',
    '      tenants: [{ slug: bench }]',
    `      keys: [{ name: bench, tenant: bench, roles: [member], secretEnv: ${BENCH_KEY_ENV} }]`,
    '  dispatch:',
    '    providers:',
    `      - { id: mock, kind: openai, baseUrl: 'http://127.0.0.1:${upstreamPort}/v1', timeoutMs: 30000 }`,
    '  routing:',
    '    models:',
    `      - { slug: ${MODELS.fast}, backends: [{ providerId: mock, upstreamModel: ${UPSTREAM_MODELS.fast}, inputPricePerMillion: '0.15', outputPricePerMillion: '0.6', contextWindow: 128000 }] }`,
    `      - { slug: ${MODELS.slow}, backends: [{ providerId: mock, upstreamModel: ${UPSTREAM_MODELS.slow}, inputPricePerMillion: '0.15', outputPricePerMillion: '0.6', contextWindow: 128000 }] }`,
    '  prompts:',
    '    models:',
    `      ${MODELS.fast}: { safetyPrefix: 'Answer briefly.', persona: 'You are the assistant of {{tenant}}.' }`,
    `      ${MODELS.slow}: { safetyPrefix: 'Answer briefly.' }`,
  ];
  // Limits and budgets far above what the bench can spend, so they are checked on every
  // request (the cost being measured) but never refuse one.
  if (has('ratelimit')) {
    lines.push('  ratelimit:', '    limits:', '      - { scope: key, requestsPerMinute: 100000000, tokensPerMinute: 1000000000 }', '      - { scope: tenant, id: bench, requestsPerMinute: 100000000 }');
  }
  if (has('accounting')) {
    lines.push('  accounting:', '    budgets:', "      - { scope: tenant, subject: bench, period: monthly, amount: '100000000' }");
  }
  return `${lines.join('\n')}\n`;
}

export async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

export interface GatewayOptions {
  upstreamPort: number;
  apiKey: string;
  /** `taskset -c <cpu>` when set and taskset exists. */
  cpu?: number;
  /** How to start the server (default: this checkout's `pnpm start`, see `serverCommand`); `bench/compare.ts` runs another checkout's. */
  serverCommand?: StartCommand;
  /** Extra node flags, e.g. `--cpu-prof`; given after the start script's own, so one of the same name wins. */
  nodeFlags?: string[];
  /** Extra environment on top of the defaults (fresh sqlite file and blob dir in a temp dir). */
  env?: NodeJS.ProcessEnv;
  /** The checkout whose server runs (default: this one): the working directory and where the configured plugins are. */
  cwd?: string;
  /** Run it with `--trace-gc-nvp` and count its collections (`gc()`); their lines stay out of `output()`. */
  gcTrace?: boolean;
}

export interface RunningGateway {
  port: number;
  pid: number;
  url: string;
  /** Milliseconds from spawn to the first 200 from /ready. */
  readyMs: number;
  stop(): Promise<void>;
  output(): string;
  /** Its collections so far, with `gcTrace`; zeros without. */
  gc(): GcTotals;
}

/** How a checkout's `pnpm start` runs node: the environment its script sets, and node's arguments. */
export interface StartCommand {
  env: Record<string, string>;
  /** Node flags, then the start script as an absolute path. */
  args: string[];
}

/** `NAME=value` words (a shell's assignments, `--env` options) as an environment; the value may hold `=`. */
export function assignments(words: readonly string[]): Record<string, string> {
  return Object.fromEntries(words.map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]));
}

/**
 * A checkout's `pnpm start` script (`[NAME=value ...] node [flags] <script>`) as a command to
 * spawn, so the bench measures what an operator runs, memory settings included.
 */
export function startCommandOf(checkout: string): StartCommand {
  const scripts = (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  const words = (scripts.start ?? '').trim().split(/\s+/);
  const leading = words.findIndex((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
  const env = assignments(words.splice(0, leading === -1 ? words.length : leading));
  if (words[0] !== 'node' || words.length < 2) throw new Error(`${checkout}/package.json: "start" is not "[NAME=value ...] node [flags] <script>": ${scripts.start}`);
  return { env, args: words.slice(1).map((word) => (word.startsWith('-') ? word : join(checkout, word))) };
}

/**
 * How to run the server as `pnpm start` does (the bundle, rebuilt first when a source changed,
 * with the script's environment and V8 flags); `SCAIGRID_BENCH_TSX=1` runs the TypeScript
 * sources through tsx instead, with the same settings.
 */
export function serverCommand(): StartCommand {
  const command = startCommandOf(root);
  if (process.env.SCAIGRID_BENCH_TSX !== '1') return command;
  return { env: command.env, args: [...command.args.filter((word) => word.startsWith('-')), '--import', 'tsx', join(root, 'packages/server/src/main.ts')] };
}

export function hasTaskset(): boolean {
  return ['/usr/bin/taskset', '/bin/taskset'].some((p) => existsSync(p));
}

/** The command that runs node with `nodeArgs`, under `taskset -c <cpu>` when a core is given and taskset exists. */
export function nodeOnCpu(cpu: number | undefined, nodeArgs: readonly string[]): [string, string[]] {
  return cpu !== undefined && hasTaskset() ? ['taskset', ['-c', String(cpu), process.execPath, ...nodeArgs]] : [process.execPath, [...nodeArgs]];
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
  const configFile = join(dir, 'scaigrid.yaml');
  writeFileSync(configFile, benchConfig(options.upstreamPort, options.cwd ?? root));
  const port = await freePort();
  const command = options.serverCommand ?? serverCommand();
  // V8 takes the last of a repeated flag: the caller's come after the start script's.
  const nodeArgs = [...command.args.slice(0, -1), ...(options.gcTrace ? ['--trace-gc-nvp'] : []), ...(options.nodeFlags ?? []), command.args.at(-1)!];
  const [cmd, args] = nodeOnCpu(options.cpu, nodeArgs);
  const started = performance.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...command.env,
    SCAIGRID_CONFIG: configFile,
    SCAIGRID_PORT: String(port),
    SCAIGRID_LOG_LEVEL: process.env.SCAIGRID_LOG_LEVEL ?? 'warn',
    SCAIGRID_DATABASE_URL: process.env.SCAIGRID_DATABASE_URL ?? `sqlite:${join(dir, 'gw.db')}`,
    SCAIGRID_BLOB_URL: `file:${join(dir, 'blobs')}`,
    SCAIGRID_REDIS_URL: process.env.SCAIGRID_REDIS_URL ?? 'memory://',
    SCAIGRID_REDIS_NAMESPACE: `sgbench${process.pid}`,
    [BENCH_KEY_ENV]: options.apiKey,
    ...options.env,
  };
  const child: ChildProcess = spawn(cmd, args, { cwd: options.cwd ?? root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const tally = new GcTally();
  child.stdout!.on('data', (d) => (output += tally.feed(String(d))));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
    // Its counters, usage queue and event streams: a tool that stopped it must not leave them
    // in a shared Redis (probes that did not clean up once left 46,000 keys, 192 MB).
    await cleanRedis(env.SCAIGRID_REDIS_NAMESPACE!, env.SCAIGRID_REDIS_URL);
  };
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`scaigrid exited with ${child.exitCode} before /ready:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/ready`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 60_000) {
      await stop();
      throw new Error(`scaigrid was not ready after 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { port, pid: child.pid!, url, readyMs: performance.now() - started, stop, output: () => output, gc: () => tally.read() };
}

const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat times are in 1/100 s on Linux.

/**
 * `/proc/<pid>/stat` from field 3 (state) on: `stat(pid)[n - 3]` is field n of proc(5). The
 * command name before it is in parentheses and may hold spaces, so the split starts after it.
 */
export function procStat(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time of a process and all its threads, in microseconds. */
export function cpuMicros(pid: number): number {
  const fields = procStat(pid);
  // utime is field 14, stime 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/** What a load run costs a process, read at its start and again at its end: CPU time, collections and, given its pid, the Redis server's CPU time. */
export function readCounters(process: { pid: number; gc(): GcTotals }, redisPid?: number): { cpu: number; gc: GcTotals; redisCpu: number | undefined } {
  return { cpu: cpuMicros(process.pid), gc: process.gc(), redisCpu: redisPid === undefined ? undefined : cpuMicros(redisPid) };
}

/** Resident set size in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Deletes every key of a bench namespace (settled markers, counters, queued usage) from real Redis. */
export async function cleanRedis(namespace: string, url = process.env.SCAIGRID_REDIS_URL): Promise<void> {
  if (!url || url.startsWith('memory:')) return;
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface HelperProcess {
  port: number;
  pid: number;
  stop(): void;
  /** Everything it printed to stdout, but for `--trace-gc-nvp` lines. */
  output(): string;
  /** The collections it reported (run with `--trace-gc-nvp`); zeros without. */
  gc(): GcTotals;
}

/** Spawns a bench helper that prints `listening <port>` (on `cpu` when given) and resolves once it does. */
async function startHelper(name: string, nodeArgs: string[], cpu: number | undefined): Promise<HelperProcess> {
  const child = spawn(...nodeOnCpu(cpu, nodeArgs), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const tally = new GcTally();
  child.stdout!.on('data', (d) => (out += tally.feed(String(d))));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  // A failed run must not leave the helper behind.
  process.once('exit', () => child.kill('SIGKILL'));
  return { port, pid: child.pid!, stop: () => child.kill('SIGKILL'), output: () => out, gc: () => tally.read() };
}

/** Starts `mock-upstream.ts` (on CPU 1 when `pin`) and resolves with its port once it listens. */
export function startMock(pin: boolean): Promise<HelperProcess> {
  return startHelper('mock upstream', ['--import', 'tsx', join(root, 'bench/mock-upstream.ts')], pin ? 1 : undefined);
}

/** Starts `floor-proxy.mjs` in front of the upstream, on the gateway's core (CPU 0) when `pin`; `nodeFlags` e.g. `--trace-gc-nvp`. */
export function startFloorProxy(upstreamPort: number, pin: boolean, nodeFlags: string[] = []): Promise<HelperProcess> {
  return startHelper('floor proxy', [...nodeFlags, join(root, 'bench/floor-proxy.mjs'), `http://127.0.0.1:${upstreamPort}`], pin ? 0 : undefined);
}
