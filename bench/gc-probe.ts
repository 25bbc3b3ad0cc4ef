/**
 * @module bench/gc-probe
 * What a request leaves to V8's garbage collector, ScaiGrid against the floor proxy: KB
 * allocated and KB promoted (moved to the old generation, freed only by full collections) per
 * request, young and full collections, and the main thread's GC pause per request. Both run
 * with `--trace-gc-nvp` (read by gc-trace.ts), pinned as in `pnpm bench`, loaded in turn for
 * `--rounds` rounds after a warm-up. bench/README.md ("Garbage that lives too long") says why
 * promoted bytes are the figure to watch.
 *
 * @example
 * SCAIGRID_REDIS_URL=redis://127.0.0.1:6379/0 npx tsx bench/gc-probe.ts --scenario stream --connections 16
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { chatBody, cpuMicros, hasTaskset, MODELS, newApiKey, startFloorProxy, startGateway, startMock, UPSTREAM_MODELS } from './gateway.js';
import { gcBetween, type GcTotals } from './gc-trace.js';
import { runLoad, type Target } from './load.js';
import { GATEWAY_WARM_UP, warmUp } from './warm-up.js';
import { pinLocalRedis } from './redis-pinning.js';
import { clearCore } from './core-clearing.js';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'stream' },
    connections: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '6' },
    /** Extra node flags for ScaiGrid only, e.g. --node-flag=--minor-mc. */
    'node-flag': { type: 'string', multiple: true, default: [] },
  },
});
const stream = args.scenario === 'stream';
const connections = Number(args.connections);
const seconds = Number(args.seconds);

const pin = hasTaskset();
if (pin) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
const redisPinning = pin ? await pinLocalRedis(process.env.SCAIGRID_REDIS_URL, 1) : undefined;
const coreClearing = pin ? clearCore(0) : undefined;
const body = (model: string) => chatBody(model, stream);

const mock = await startMock(pin);
const apiKey = newApiKey();
const gateway = await startGateway({ upstreamPort: mock.port, apiKey, cpu: pin ? 0 : undefined, gcTrace: true, nodeFlags: args['node-flag']! });
const floor = await startFloorProxy(mock.port, pin, ['--trace-gc-nvp']);
const sides = [
  { name: 'ScaiGrid', pid: gateway.pid, gc: gateway.gc, target: { url: `${gateway.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } } as Target, body: body(MODELS.fast) },
  { name: 'floor proxy', pid: floor.pid, gc: floor.gc, target: { url: `http://127.0.0.1:${floor.port}/oai/v1/chat/completions`, headers: {} } as Target, body: body(UPSTREAM_MODELS.fast) },
];

const row = (name: string, requests: number, gc: GcTotals, cpuUs: number) =>
  `| ${name} | ${requests} | ${(gc.allocatedBytes / requests / 1024).toFixed(1)} | ${(gc.promotedBytes / requests / 1024).toFixed(1)} | ${gc.young} | ${gc.full} | ${((gc.pauseMs * 1000) / requests).toFixed(1)} | ${(cpuUs / requests).toFixed(0)} |`;
try {
  for (const side of sides) await warmUp(side.target, side.body, connections, GATEWAY_WARM_UP);
  const lines = ['| process | requests | KB allocated / req | KB promoted / req | young GCs | full GCs | GC pause µs / req | CPU µs / req |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const side of sides) {
      process.stderr.write(`[gc-probe] round ${round}: ${side.name}, ${args.scenario}, ${connections} connections, ${seconds} s\n`);
      const before = side.gc();
      const cpuBefore = cpuMicros(side.pid);
      const load = await runLoad(side.target, side.body, connections, seconds);
      if (load.failed > 0) throw new Error(`${side.name}: ${load.failed} requests failed (${JSON.stringify(load.failures)})`);
      lines.push(row(`${side.name}, round ${round}`, load.requests, gcBetween(before, side.gc()), cpuMicros(side.pid) - cpuBefore));
    }
  }
  process.stdout.write(`${args.scenario}, ${connections} connections${args['node-flag']!.length ? `, ScaiGrid with ${args['node-flag']!.join(' ')}` : ''}\n\n${lines.join('\n')}\n`);
} finally {
  await gateway.stop();
  floor.stop();
  mock.stop();
  redisPinning?.restore();
  coreClearing?.restore();
}
