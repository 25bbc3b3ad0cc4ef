/**
 * @module bench/memory-probe
 * Where the gateway's resident memory is: after boot and one request, then right after a load
 * run (`--scenario`, `--connections`, `--seconds`), as `pnpm bench` reads "RSS after". It splits
 * RSS (from /proc/<pid>/smaps, see smaps.ts) into the node binary's pages, other files, glibc's
 * malloc arenas and the rest, and gives V8's own figures for its heap (committed and used, the
 * young generation apart). The gateway runs as `pnpm start` does, with its memory settings;
 * `--node-flag` and `--env NAME=value` change them, e.g. `--node-flag=--max-semi-space-size=16`.
 *
 * @example
 * SCAIGRID_REDIS_URL=redis://127.0.0.1:6379/0 npx tsx bench/memory-probe.ts --scenario stream --connections 16
 */
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { assignments, chatBody, hasTaskset, MODELS, newApiKey, root, startGateway, startMock, type RunningGateway } from './gateway.js';
import { runLoad, type Target } from './load.js';
import { breakdown, parseSmaps } from './smaps.js';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'stream' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    'node-flag': { type: 'string', multiple: true, default: [] },
    env: { type: 'string', multiple: true, default: [] },
  },
});

interface HeapReport {
  physical: number;
  used: number;
  spaces: Record<string, { physical: number; used: number }>;
}

/** Asks the gateway's preloaded heap-report.mjs for V8's figures and waits for its line. */
async function heapReport(gateway: RunningGateway): Promise<HeapReport> {
  const seen = gateway.output().split('\n').length;
  process.kill(gateway.pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const line = gateway.output().split('\n').slice(seen - 1).find((l) => l.startsWith('{"heapReport"'));
    if (line) return (JSON.parse(line) as { heapReport: HeapReport }).heapReport;
  }
  throw new Error('the gateway did not report its heap (is bench/heap-report.mjs preloaded?)');
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const mbKb = (kb: number) => (kb / 1024).toFixed(1);

async function row(phase: string, gateway: RunningGateway): Promise<string> {
  const heap = await heapReport(gateway);
  const rss = breakdown(parseSmaps(readFileSync(`/proc/${gateway.pid}/smaps`, 'utf8')), realpathSync(process.execPath));
  const [mainArena, ...threadArenas] = rss.mallocArenasKb;
  const young = heap.spaces.new_space?.physical ?? 0;
  const arenas = `${mbKb(mainArena! + threadArenas.reduce((a, b) => a + b, 0))} (main ${mbKb(mainArena!)}, ${threadArenas.length} threads: ${threadArenas.map(mbKb).join(', ') || '—'})`;
  return `| ${phase} | ${mbKb(rss.totalKb)} | ${mbKb(rss.nodeBinaryKb)} | ${mbKb(rss.otherFilesKb)} | ${mb(heap.physical)} (young ${mb(young)}) | ${mb(heap.used)} | ${arenas} | ${mbKb(rss.otherAnonymousKb - heap.physical / 1024)} |`;
}

const pin = hasTaskset();
const mock = await startMock(pin);
const apiKey = newApiKey();
const env = assignments(args.env!);
const gateway = await startGateway({ upstreamPort: mock.port, apiKey, cpu: pin ? 0 : undefined, env, nodeFlags: ['--import', join(root, 'bench/heap-report.mjs'), ...args['node-flag']!] });
try {
  const target: Target = { url: `${gateway.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } };
  const stream = args.scenario === 'stream';
  const lines = [
    '| when | RSS MB | node binary | other files | V8 heap, resident | V8 heap, used | malloc arenas | other anonymous |',
    '|---|---:|---:|---:|---:|---:|---|---:|',
  ];
  await runLoad(target, chatBody(MODELS.fast, stream), 1, 1);
  await new Promise((r) => setTimeout(r, 2000));
  lines.push(await row('idle, after boot', gateway));
  const load = await runLoad(target, chatBody(MODELS.fast, stream), Number(args.connections), Number(args.seconds));
  if (load.failed > 0) throw new Error(`${load.failed} requests failed (${JSON.stringify(load.failures)})`);
  lines.push(await row(`right after ${args.seconds} s of ${args.scenario} at ${args.connections} connections`, gateway));
  const settings = [...args.env!, ...args['node-flag']!];
  process.stdout.write(`ScaiGrid as pnpm start runs it${settings.length ? `, with ${settings.join(' ')}` : ''}\n\n${lines.join('\n')}\n`);
} finally {
  await gateway.stop();
  mock.stop();
}
