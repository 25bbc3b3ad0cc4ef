/**
 * @module bench/compare
 * Is a change faster? Runs this checkout's gateway and another checkout's (e.g. a `git worktree`
 * of main) side by side, both pinned to the same core, and loads them in alternation — A, B, B,
 * A, … — so that whatever else the machine is doing weighs on both alike, and does so with
 * several fresh pairs of processes (`--pairs`), since one process can stay faster or slower
 * than another of the same build for its whole life. Prints the CPU time per request of each,
 * per round, per pair and as medians. The other checkout needs its own `pnpm install`; its
 * bundle is rebuilt by its start script when stale, and it runs its own plugins.
 *
 * @example
 * git worktree add --detach ../base main && (cd ../base && pnpm install)
 * SCAIGRID_REDIS_URL=redis://127.0.0.1:6379/0 npx tsx bench/compare.ts --base ../base --scenario stream
 * # first bytes only: 200 sequential streams per side and pair, interleaved A, B, B, A, … 5 ms apart
 * npx tsx bench/compare.ts --base ../base --scenario stream --rounds 0 --first-byte 200 --gap 5
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { assignments, chatBody, cpuMicros, hasTaskset, readCounters, rssMb, MODELS, startCommandOf, newApiKey, startGateway, startMock, type RunningGateway } from './gateway.js';
import { allocationSince, type Allocation } from './gc-trace.js';
import { runLoad, streamTiming } from './load.js';
import { kbPerRequest } from './report.js';
import { GATEWAY_WARM_UP, warmUp } from './warm-up.js';
import { pinLocalRedis } from './redis-pinning.js';
import { clearCore } from './core-clearing.js';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    scenario: { type: 'string', default: 'non-stream' },
    connections: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '4' },
    /** Fresh pairs of gateway processes, each loaded for `rounds` interleaved rounds. */
    pairs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    /** Seconds of load before each measured round that it does not count, as in `pnpm bench` (load.ts); '0': none. */
    'lead-in': { type: 'string', default: '1' },
    /** KEY=VALUE set only for this checkout's gateway, e.g. to compare a switch within one build. */
    'this-env': { type: 'string', multiple: true, default: [] },
    'this-node-flag': { type: 'string', multiple: true, default: [] },
    /**
     * First-byte probes per side and pair, after the rounds: one stream at a time, the sides
     * interleaved. Sequential runs of one build, then the other, differed by 0.3-0.8 ms in
     * first byte where interleaved probes of the same two builds differed by 0.05 (2026-11-29).
     */
    'first-byte': { type: 'string', default: '0' },
    /** Milliseconds between first-byte probes: how long each gateway sits idle before the next. */
    gap: { type: 'string', default: '5' },
  },
});
if (!args.base) throw new Error('--base <checkout> is required');
const base = resolve(args.base);
// The request each scenario sends; `stream-5ms` is the bench's "stream 5ms/chunk".
const BODIES: Record<string, string> = {
  'non-stream': chatBody(MODELS.fast, false),
  stream: chatBody(MODELS.fast, true),
  'stream-5ms': chatBody(MODELS.slow, true),
};
if (!BODIES[args.scenario!]) throw new Error(`--scenario must be one of ${Object.keys(BODIES).join(', ')}`);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const pairs = Number(args.pairs);
const seconds = Number(args.seconds);
const firstByteProbes = Number(args['first-byte']);
const gapMs = Number(args.gap);
if (firstByteProbes > 0 && args.scenario === 'non-stream') throw new Error('--first-byte needs a stream scenario');

const pin = hasTaskset();
if (pin) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
const redisPinning = pin ? await pinLocalRedis(process.env.SCAIGRID_REDIS_URL, 1) : undefined;
if (redisPinning) process.stderr.write(`[compare] Redis server ${redisPinning.description}\n`);
const coreClearing = pin ? clearCore(0) : undefined;
if (coreClearing) process.stderr.write(`[compare] ${coreClearing.description}\n`);
const mock = await startMock(pin);
const upstreamPort = mock.port;

const apiKey = newApiKey();
const thisEnv = assignments(args['this-env']!);
const started: RunningGateway[] = [];
// A failed run (a gateway that does not start, a load error) must not leave gateways behind.
process.once('exit', () => started.forEach((g) => { try { process.kill(g.pid, 'SIGKILL'); } catch { /* gone already */ } }));
const track = (g: RunningGateway) => (started.push(g), g);
const body = BODIES[args.scenario!]!;
const target = (g: RunningGateway) => ({ url: `${g.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percent = (change: number) => `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`;
/** The two sides, this one first on even `n`: who boots, warms up, is loaded or probed first alternates. */
const sidesInTurn = (n: number) => (n % 2 === 0 ? (['this', 'base'] as const) : (['base', 'this'] as const));

const results: Record<'this' | 'base', number[]> = { this: [], base: [] };
const p50s: Record<'this' | 'base', number[]> = { this: [], base: [] };
const p99s: Record<'this' | 'base', number[]> = { this: [], base: [] };
// RSS right after each pair's last round: the bench's "after the run" figure, per side.
const rss: Record<'this' | 'base', number[]> = { this: [], base: [] };
const allocations: Record<'this' | 'base', { requests: number; allocation: Allocation }[]> = { this: [], base: [] };
// The Redis server's CPU per request of each side (it serves one side at a time), when it was pinned.
const redisCpu: Record<'this' | 'base', number[]> = { this: [], base: [] };
const pairChanges: number[] = [];
const firstBytes: Record<'this' | 'base', number[]> = { this: [], base: [] };
const firstBytePairs: Record<'this' | 'base', number>[] = [];
// CPU per probed stream: a stream served by an idle gateway costs it far more than under load.
const probeCpu: Record<'this' | 'base', number[]> = { this: [], base: [] };
for (let pair = 0; pair < pairs; pair++) {
  // A fresh pair of processes each time: one process of a build can stay ~10 % faster or slower
  // than another of the same build for its whole life, so one pair alone is not a comparison.
  const namespace = (side: string) => `sgcmp${process.pid}${side}${pair}`;
  // Which side boots and warms up first alternates by pair: the side warmed up first then sits
  // idle while the other warms up. With this checkout always first, an A/A run (2026-11-29)
  // measured it dearer in every pair (+1.2, +2.0, +3.8, +4.8 %) and 1-7 MB larger; alternating,
  // the next A/A's RSS went both ways (its CPU pairs, +4.5, +7.6, +10.3, -4.6 %, on a busier
  // machine, say how wide one pair's noise can be).
  const first = sidesInTurn(pair);
  const start = {
    // Each in its own Redis namespace: nothing one does (counters, queued usage) lands on the other.
    this: () => startGateway({ upstreamPort, apiKey, cpu: 0, gcTrace: true, nodeFlags: args['this-node-flag'], env: { SCAIGRID_REDIS_NAMESPACE: namespace('a'), ...thisEnv } }),
    base: () => startGateway({ upstreamPort, apiKey, cpu: 0, gcTrace: true, cwd: base, serverCommand: startCommandOf(base), env: { SCAIGRID_REDIS_NAMESPACE: namespace('b') } }),
  };
  const gateways = {} as Record<'this' | 'base', RunningGateway>;
  for (const name of first) gateways[name] = track(await start[name]());
  // Warm-up until throughput stops rising (warm-up.ts). A slow stream sends too few requests
  // to get the hot path compiled, so the fast stream goes first, as in the bench.
  for (const name of first) {
    if (args.scenario === 'stream-5ms') await warmUp(target(gateways[name]), BODIES.stream!, 16, GATEWAY_WARM_UP);
    await warmUp(target(gateways[name]), body, connections, GATEWAY_WARM_UP);
  }
  const pairResults: Record<'this' | 'base', number[]> = { this: [], base: [] };
  for (let round = 0; round < rounds; round++) {
    const order = sidesInTurn(round + pair);
    for (const name of order) {
      const g = gateways[name];
      const load = await runLoad(target(g), body, connections, seconds, {
        leadInSeconds: Number(args['lead-in']),
        atStart: () => readCounters(g, redisPinning?.pid),
      });
      const { cpu: before, redisCpu: redisBefore, gc: gcBefore } = load.atStart;
      if (load.failed > 0) throw new Error(`${name}: ${load.failed} failed requests ${JSON.stringify(load.failures)}`);
      pairResults[name].push((cpuMicros(g.pid) - before) / load.ok);
      if (redisBefore !== undefined) redisCpu[name].push((cpuMicros(redisPinning!.pid!) - redisBefore) / load.ok);
      allocations[name].push({ requests: load.ok, allocation: allocationSince(gcBefore, g.gc()) });
      p50s[name].push(load.p50);
      p99s[name].push(load.p99);
    }
    process.stderr.write(`[compare] pair ${pair + 1}/${pairs} round ${round + 1}/${rounds}: this ${pairResults.this.at(-1)!.toFixed(0)} µs/req, base ${pairResults.base.at(-1)!.toFixed(0)} µs/req\n`);
  }
  for (const name of ['this', 'base'] as const) rss[name].push(rssMb(gateways[name].pid));
  if (rounds > 0) {
    const [a, b] = [median(pairResults.this), median(pairResults.base)];
    pairChanges.push((a - b) / b);
    process.stderr.write(`[compare] pair ${pair + 1}/${pairs}: this ${a.toFixed(0)}, base ${b.toFixed(0)} µs/req (${percent((a - b) / b)})\n`);
    results.this.push(...pairResults.this);
    results.base.push(...pairResults.base);
  }
  if (firstByteProbes > 0) {
    const pairFirstBytes: Record<'this' | 'base', number[]> = { this: [], base: [] };
    const cpuBefore = { this: cpuMicros(gateways.this.pid), base: cpuMicros(gateways.base.pid) };
    for (let probe = 0; probe < firstByteProbes; probe++) {
      for (const name of sidesInTurn(probe + pair)) {
        pairFirstBytes[name].push((await streamTiming(target(gateways[name]), body)).ttfb);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    }
    for (const name of ['this', 'base'] as const) {
      probeCpu[name].push((cpuMicros(gateways[name].pid) - cpuBefore[name]) / firstByteProbes);
      firstBytes[name].push(...pairFirstBytes[name]);
    }
    const medians = { this: median(pairFirstBytes.this)!, base: median(pairFirstBytes.base)! };
    firstBytePairs.push(medians);
    process.stderr.write(`[compare] pair ${pair + 1}/${pairs}: first byte this ${medians.this.toFixed(2)} ms, base ${medians.base.toFixed(2)} ms\n`);
  }
  started.length = 0;
  // Each stop deletes its gateway's Redis namespace.
  await Promise.all(Object.values(gateways).map((g) => g.stop()));
}
if (rounds > 0) {
  const [a, b] = [median(results.this), median(results.base)];
  process.stdout.write(`${args.scenario} at ${connections} connections, CPU µs/request (median of ${pairs} × ${rounds}): this ${a.toFixed(0)}, base ${b.toFixed(0)} (${percent((a - b) / b)})\n`);
  process.stdout.write(`change per process pair: ${pairChanges.map(percent).join(', ')}\n`);
  process.stdout.write(`p50 latency ms (median of ${pairs} × ${rounds}): this ${median(p50s.this).toFixed(2)}, base ${median(p50s.base).toFixed(2)}\n`);
  // The tail moves with collections and stalls, which CPU per request does not show.
  process.stdout.write(`p99 latency ms (median of ${pairs} × ${rounds}): this ${median(p99s.this).toFixed(2)}, base ${median(p99s.base).toFixed(2)}\n`);
  // A count of bytes: unlike CPU time it does not move with the machine, so a change shows on a noisy day.
  const [ka, kb] = [kbPerRequest(allocations.this), kbPerRequest(allocations.base)];
  process.stdout.write(`KB allocated per request (all rounds): this ${ka.toFixed(1)}, base ${kb.toFixed(1)} (${percent((ka - kb) / kb)})\n`);
  if (redisCpu.this.length > 0) {
    const [ra, rb] = [median(redisCpu.this), median(redisCpu.base)];
    process.stdout.write(`Redis server CPU µs/request (median of rounds): this ${ra.toFixed(1)}, base ${rb.toFixed(1)} (${percent((ra - rb) / rb)})\n`);
  }
}
if (firstByteProbes > 0) {
  process.stdout.write(`${args.scenario} first byte ms (median of ${pairs} × ${firstByteProbes} interleaved probes, ${gapMs} ms apart): this ${median(firstBytes.this).toFixed(2)}, base ${median(firstBytes.base).toFixed(2)}; per pair (this / base): ${firstBytePairs.map((m) => `${m.this.toFixed(2)} / ${m.base.toFixed(2)}`).join(', ')}\n`);
  process.stdout.write(`CPU µs per probed stream, per pair: this ${probeCpu.this.map((x) => x.toFixed(0)).join(', ')}; base ${probeCpu.base.map((x) => x.toFixed(0)).join(', ')}\n`);
}
process.stdout.write(`RSS MB after each pair's rounds: this ${rss.this.map((x) => x.toFixed(0)).join(', ')}; base ${rss.base.map((x) => x.toFixed(0)).join(', ')}\n`);
mock.stop();
redisPinning?.restore();
coreClearing?.restore();
