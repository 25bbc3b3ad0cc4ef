/**
 * @module bench/first-byte-stages
 * Where a stream's first byte goes, stage by stage, in ScaiGrid and in the floor proxy:
 * sequential probes (one stream at a time, `--gap` ms of idleness before each, the sides in
 * turn), each timed by the client, by the mock (its `probe:` stamps) and inside each proxy by
 * `stage-stamps.cjs` (Node's and undici's diagnostics channels), all on CLOCK_MONOTONIC. The
 * table says which step of the way in or out a proxy spends its time on; the bench's split
 * (bench/README.md, "first byte, split") only has the way in and the way out. Pinned as in
 * `pnpm bench`. bench/README.md ("Stage by stage, cold") has a run and what it showed.
 *
 * @example
 * SCAIGRID_REDIS_URL=redis://127.0.0.1:6379/0 npx tsx bench/first-byte-stages.ts --probes 200 --gap 20
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chatBody, hasTaskset, MODELS, newApiKey, root, startFloorProxy, startGateway, startMock, UPSTREAM_MODELS } from './gateway.js';
import { streamTiming, closeProbes, type Target } from './load.js';
import type { ProbeStamps } from './mock-upstream.js';
import { clearCore } from './core-clearing.js';
import { pinLocalRedis } from './redis-pinning.js';
import { stageTable, summarizeStages, type OutsideStamps, type ProxyStamps } from './stages.js';
import { GATEWAY_WARM_UP, warmUp } from './warm-up.js';

const { values: args } = parseArgs({
  options: {
    /** `stream-5ms` (the bench's "stream 5ms/chunk", its worst first byte) or `stream`. */
    scenario: { type: 'string', default: 'stream-5ms' },
    probes: { type: 'string', default: '200' },
    /** Milliseconds of idleness before each probe. */
    gap: { type: 'string', default: '20' },
  },
});
const slow = args.scenario === 'stream-5ms';
if (!slow && args.scenario !== 'stream') throw new Error('--scenario must be stream-5ms or stream');
const probes = Number(args.probes);
const gapMs = Number(args.gap);

const PRELOAD = ['--require', join(root, 'bench/stage-stamps.cjs')];
const pin = hasTaskset();
if (pin) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
const redisPinning = pin ? await pinLocalRedis(process.env.SCAIGRID_REDIS_URL, 1) : undefined;
const coreClearing = pin ? clearCore(0) : undefined;
const dir = mkdtempSync(join(tmpdir(), 'sg-stages-'));
const files = { ScaiGrid: join(dir, 'gateway.json'), 'floor proxy': join(dir, 'floor.json') };

const mock = await startMock(pin);
const apiKey = newApiKey();
const gateway = await startGateway({ upstreamPort: mock.port, apiKey, cpu: pin ? 0 : undefined, nodeFlags: PRELOAD, env: { SCAIGRID_STAGES_OUT: files.ScaiGrid } });
// The floor proxy's environment is this process's.
process.env.SCAIGRID_STAGES_OUT = files['floor proxy'];
const floor = await startFloorProxy(mock.port, pin, PRELOAD);

type Side = 'direct' | 'ScaiGrid' | 'floor proxy';
const sides: Record<Side, { target: Target; model: string; pid?: number }> = {
  direct: { target: { url: `http://127.0.0.1:${mock.port}/v1/chat/completions`, headers: {} }, model: slow ? UPSTREAM_MODELS.slow : UPSTREAM_MODELS.fast },
  ScaiGrid: { target: { url: `${gateway.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } }, model: slow ? MODELS.slow : MODELS.fast, pid: gateway.pid },
  'floor proxy': { target: { url: `http://127.0.0.1:${floor.port}/oai/v1/chat/completions`, headers: {} }, model: slow ? UPSTREAM_MODELS.slow : UPSTREAM_MODELS.fast, pid: floor.pid },
};
const outside: Record<Side, OutsideStamps[]> = { direct: [], ScaiGrid: [], 'floor proxy': [] };

let probeId = 0;
async function probe(side: Side): Promise<void> {
  const id = `stage${++probeId}`;
  const timing = await streamTiming(sides[side].target, chatBody(sides[side].model, true, id));
  if (timing.status !== 200) throw new Error(`${side}: status ${timing.status}`);
  const stamps = (await (await fetch(`http://127.0.0.1:${mock.port}/stamps/${id}`)).json()) as ProbeStamps;
  outside[side].push({ sentUs: timing.sentUs, firstByteUs: timing.firstByteUs, upstreamReceivedUs: stamps.receivedUs, upstreamFirstEventUs: stamps.firstEventUs });
}

/** Has each proxy write its stamps so far, and reads them (empty when it took none). */
async function dumpStamps(): Promise<Record<'ScaiGrid' | 'floor proxy', ProxyStamps[]>> {
  for (const side of ['ScaiGrid', 'floor proxy'] as const) {
    rmSync(files[side], { force: true });
    process.kill(sides[side].pid!, 'SIGUSR2');
  }
  const read = async (file: string): Promise<ProxyStamps[]> => {
    for (let i = 0; i < 100; i++) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as ProxyStamps[];
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    throw new Error(`no stamps in ${file}`);
  };
  return { ScaiGrid: await read(files.ScaiGrid), 'floor proxy': await read(files['floor proxy']) };
}

try {
  // A 5 ms/chunk stream sends too few requests to get the hot path compiled: the fast stream first, as in the bench.
  for (const side of ['ScaiGrid', 'floor proxy'] as const) {
    const fast = chatBody(side === 'ScaiGrid' ? MODELS.fast : UPSTREAM_MODELS.fast, true);
    await warmUp(sides[side].target, fast, 16, GATEWAY_WARM_UP);
    if (slow) await warmUp(sides[side].target, chatBody(sides[side].model, true), 16, GATEWAY_WARM_UP);
  }
  // Forget the warm-up's requests: from here on, each proxy's stamps are its probes', in order.
  await dumpStamps();
  for (let i = 0; i < probes; i++) {
    process.stderr.write(`\r[first-byte-stages] probe ${i + 1}/${probes}`);
    // The proxies in turn, A B B A, so neither always follows the other.
    for (const side of (i % 2 === 0 ? ['direct', 'ScaiGrid', 'floor proxy'] : ['direct', 'floor proxy', 'ScaiGrid']) as Side[]) {
      await new Promise((r) => setTimeout(r, gapMs));
      await probe(side);
    }
  }
  process.stderr.write('\n');
  const stamps = await dumpStamps();
  for (const side of ['ScaiGrid', 'floor proxy'] as const) {
    if (stamps[side].length !== probes) throw new Error(`${side} stamped ${stamps[side].length} requests for ${probes} probes`);
  }
  const summary = summarizeStages({
    ScaiGrid: stamps.ScaiGrid.map((proxy, i) => ({ proxy, outside: outside.ScaiGrid[i]! })),
    'floor proxy': stamps['floor proxy'].map((proxy, i) => ({ proxy, outside: outside['floor proxy'][i]! })),
    direct: outside.direct.map((o) => ({ proxy: {}, outside: o })),
  });
  process.stdout.write(`${args.scenario}: ${probes} sequential probes per side, ${gapMs} ms apart\n\n${stageTable(summary)}\n`);
} finally {
  closeProbes();
  await gateway.stop();
  floor.stop();
  mock.stop();
  redisPinning?.restore();
  coreClearing?.restore();
  rmSync(dir, { recursive: true, force: true });
}
