/**
 * @module bench/run
 * `pnpm bench`: the gateway's own cost. Starts the mock upstream and ScaiGrid (full plugin
 * set, real process, pinned to CPU 0; this process and the mock on CPU 1), checks that a
 * request really reaches the mock and that a client leaving aborts the upstream stream, then
 * measures in interleaved rounds — direct to the mock, then through ScaiGrid, for each
 * scenario and connection count — and prints a Markdown report (also saved under
 * bench/results/). See bench/README.md for what each figure means.
 *
 * @example
 * pnpm bench                      # full run, about 6 minutes
 * pnpm bench --quick              # one short round, about 1 minute
 * SCAIGRID_REDIS_URL=redis://127.0.0.1:6379/0 pnpm bench --profile
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coldStart } from './cold-start.js';
import { BENCH_KEY_ENV, benchConfig, chatBody, cpuMicros, hasTaskset, loadedPlugins, MODELS, newApiKey, root, readCounters, rssMb, startFloorProxy, startGateway, startMock, UPSTREAM_MODELS } from './gateway.js';
import { monotonicUs } from './clock.js';
import { abandonStream, closeProbes, runLoad, streamTiming, type Target } from './load.js';
import type { MockStats, ProbeStamps } from './mock-upstream.js';
import { GATEWAY_WARM_UP, warmUp } from './warm-up.js';
import { renderReport, type CellResult, type Report, type RoundResult, type TtfbResult } from './report.js';
import { allocationSince } from './gc-trace.js';
import { summarizeProfile, type ProfileWindow } from './profile-summary.js';
import { pinLocalRedis, type RedisPinning } from './redis-pinning.js';
import { clearCore, type CoreClearing } from './core-clearing.js';
import { minorFaults, pageFaultCostUs } from './page-faults.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string' },
    scenarios: { type: 'string' },
    probes: { type: 'string' },
    'cold-starts': { type: 'string' },
    /** Seconds the gateway is left idle after the last round while its RSS is watched ('0': not at all). */
    settle: { type: 'string' },
    /** Connection counts at which the floor proxy is measured too, e.g. '1,16' ('0': not at all). */
    floor: { type: 'string' },
    /** Seconds of load before each measured round, not counted (load.ts, `LoadOptions.leadInSeconds`); '0': none. */
    'lead-in': { type: 'string' },
    profile: { type: 'boolean', default: false },
    /**
     * µs between the profile's samples (V8's default: 1000). The first-byte breakdown needs a
     * fine one, e.g. 20: a probe's way in lasts well under a millisecond. The load figures then
     * carry the profiler's own cost.
     */
    'profile-interval': { type: 'string' },
  },
});

const quick = args.quick;
const rounds = Number(args.rounds ?? (quick ? 1 : 3));
const seconds = Number(args.seconds ?? (quick ? 2 : 5));
const leadInSeconds = Number(args['lead-in'] ?? 1);
const connections = (args.connections ?? '1,16,64').split(',').map(Number);
const probes = Number(args.probes ?? (quick ? 10 : 30));
const coldStarts = Number(args['cold-starts'] ?? (quick ? 2 : 5));
const settleSeconds = Number(args.settle ?? (quick ? 0 : 60));
const floorConnections = args.floor !== undefined ? args.floor.split(',').map(Number).filter((c) => connections.includes(c)) : connections.filter((c) => c === 1 || c === 16);

interface Scenario {
  name: string;
  stream: boolean;
  slow: boolean;
}
const ALL_SCENARIOS: Scenario[] = [
  { name: 'non-stream', stream: false, slow: false },
  { name: 'stream', stream: true, slow: false },
  { name: 'stream 5ms/chunk', stream: true, slow: true },
];
const scenarios = args.scenarios ? ALL_SCENARIOS.filter((s) => args.scenarios!.split(',').includes(s.name)) : ALL_SCENARIOS;

// ---- progress line -------------------------------------------------------------------------
// Warm-up per scenario and target, until throughput stops rising (warm-up.ts), within these bounds.
const gatewayWarmUp = quick ? { minSeconds: 1, maxSeconds: 3 } : GATEWAY_WARM_UP;
const otherWarmUp = quick ? { minSeconds: 1, maxSeconds: 2 } : { minSeconds: 2, maxSeconds: 10 };
/** Seconds a scenario's warm-up is expected to take, for the progress line. */
const warmupEstimate = quick ? 3 : 12;
const slowProbeMs = 110;
const plannedSeconds =
  scenarios.length * warmupEstimate +
  rounds * scenarios.length * connections.length * 2 * (leadInSeconds + seconds + 0.3) +
  floorConnections.length * rounds * scenarios.length * (leadInSeconds + seconds + 0.3) +
  rounds * scenarios.filter((s) => s.stream).reduce((t, s) => t + ((floorConnections.length > 0 ? 3 : 2) * probes * (s.slow ? slowProbeMs : 5)) / 1000, 0) +
  settleSeconds +
  coldStarts * 2.5;
let spent = 0;
let phase = 'starting';
let phaseStarted = performance.now();
const tty = process.stderr.isTTY;
let lastPlanned = 0;
function startPhase(name: string, planned: number): void {
  spent += lastPlanned;
  lastPlanned = planned;
  phase = name;
  phaseStarted = performance.now();
  drawProgress(true);
}
/** On a terminal the line is redrawn in place; in a log, one line per phase. */
function drawProgress(phaseStart = false): void {
  const inPhase = Math.min(lastPlanned, (performance.now() - phaseStarted) / 1000);
  const left = Math.max(0, plannedSeconds - spent - inPhase);
  const line = `[bench] ${phase} · ~${Math.ceil(left)} s left`;
  if (tty) process.stderr.write(`\r\x1b[K${line}`);
  else if (phaseStart) process.stderr.write(`${line}\n`);
}
const progressTimer = tty ? setInterval(() => drawProgress(), 500) : undefined;

// ---- processes --------------------------------------------------------------------------
const pin = hasTaskset();
if (pin) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
else process.stderr.write('[bench] taskset not found: processes are not pinned, figures are per machine, not per core\n');
const redisPinning: RedisPinning = pin ? await pinLocalRedis(process.env.SCAIGRID_REDIS_URL, 1) : { description: 'not pinned (no taskset)', restore: () => undefined };
const coreClearing: CoreClearing = pin ? clearCore(0) : { description: 'left as they were (no taskset)', restore: () => undefined };

async function mockStats(port: number): Promise<MockStats> {
  return (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as MockStats;
}

let probeCount = 0;
/**
 * One first-byte probe of `target`, timed by the client and, through its `probe:` id, by the
 * mock: the first byte's time split into the way to the upstream, the upstream's own wait and
 * the way back (µs; the last two are what a proxy adds on either side).
 */
async function firstByteProbe(target: Target, model: string): Promise<FirstByteProbe> {
  const id = String(++probeCount);
  const timing = await streamTiming(target, chatBody(model, true, id));
  const stamps = (await (await fetch(`http://127.0.0.1:${mock.port}/stamps/${id}`)).json()) as ProbeStamps;
  return { ttfbMs: timing.ttfb, wayIn: { fromUs: timing.sentUs, toUs: stamps.receivedUs }, wayOut: { fromUs: stamps.firstEventUs, toUs: timing.firstByteUs } };
}

interface FirstByteProbe {
  ttfbMs: number;
  /** The way to the upstream and the first event's way back, as spans of CLOCK_MONOTONIC µs (a CPU profile's clock too). */
  wayIn: ProfileWindow;
  wayOut: ProfileWindow;
}

const spanUs = (w: ProfileWindow) => w.toUs - w.fromUs;

// ---- the run ------------------------------------------------------------------------------
const started = new Date();
const apiKey = newApiKey();
const plugins = loadedPlugins();
const mock = await startMock(pin);
// Both report their collections (`--trace-gc-nvp`): the report's KB allocated per request.
const floor = await startFloorProxy(mock.port, pin, ['--trace-gc-nvp']);
const profileDir = join(root, 'bench/results/profiles', started.toISOString().replace(/[:.]/g, '-'));
if (args.profile) mkdirSync(profileDir, { recursive: true });
const gateway = await startGateway({
  upstreamPort: mock.port,
  apiKey,
  cpu: pin ? 0 : undefined,
  gcTrace: true,
  nodeFlags: args.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir, ...(args['profile-interval'] ? ['--cpu-prof-interval', args['profile-interval']] : [])] : [],
});

const direct = (): Target => ({ url: `http://127.0.0.1:${mock.port}/v1/chat/completions`, headers: {} });
const viaGateway = (): Target => ({ url: `${gateway.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } });
const viaFloor = (): Target => ({ url: `http://127.0.0.1:${floor.port}/oai/v1/chat/completions`, headers: {} });

let report: Report | undefined;
// The load phase on CLOCK_MONOTONIC, the clock V8 profiles use, so the profile summary leaves boot out.
const loadWindow = { fromUs: 0, toUs: Number.MAX_SAFE_INTEGER };
// ScaiGrid's first-byte probes: what its profile shows inside them is what a first byte waits for.
const firstByteWindows: { wayIn: ProfileWindow[]; wayOut: ProfileWindow[] } = { wayIn: [], wayOut: [] };
try {
  // Prove the path: one request through ScaiGrid reaches the mock and comes back whole.
  startPhase('checking the request path', 0);
  const before = await mockStats(mock.port);
  const res = await fetch(viaGateway().url, { method: 'POST', headers: { 'content-type': 'application/json', ...viaGateway().headers }, body: chatBody(MODELS.fast, false) });
  const answer = (await res.json()) as { choices?: { message?: { content?: string } }[]; usage?: { total_tokens?: number } };
  const after = await mockStats(mock.port);
  if (res.status !== 200 || after.requests !== before.requests + 1 || !answer.choices?.[0]?.message?.content?.startsWith('The quick brown fox')) {
    throw new Error(`the check request did not reach the mock as expected: status ${res.status}, mock requests ${before.requests} → ${after.requests}, body ${JSON.stringify(answer)}\n${gateway.output()}`);
  }
  const floorAnswer = await fetch(viaFloor().url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody(UPSTREAM_MODELS.fast, false) });
  if (floorAnswer.status !== 200 || !((await floorAnswer.text()).includes('The quick brown fox'))) throw new Error(`the floor proxy did not forward the check request: status ${floorAnswer.status}`);
  const streamCheck = await streamTiming(viaGateway(), chatBody(MODELS.fast, true));
  const contentChunks = streamCheck.text.split('\n\n').filter((e) => e.includes('"content"')).length;
  if (streamCheck.status !== 200 || !streamCheck.text.includes('data: [DONE]') || contentChunks < 20) {
    throw new Error(`the check stream was not forwarded whole: status ${streamCheck.status}, ${contentChunks} content events\n${streamCheck.text.slice(0, 2000)}`);
  }
  // A client that leaves mid-stream must abort the upstream request.
  const abortedBefore = (await mockStats(mock.port)).streamsAborted;
  await abandonStream(viaGateway(), chatBody(MODELS.slow, true));
  let abortReachedUpstream = false;
  for (let i = 0; i < 50 && !abortReachedUpstream; i++) {
    await new Promise((r) => setTimeout(r, 20));
    abortReachedUpstream = (await mockStats(mock.port)).streamsAborted > abortedBefore;
  }
  const rssIdleMb = rssMb(gateway.pid);
  // What a page fault costs here today, beside the faults each proxy takes per first-byte probe.
  const pageFaultUs = pageFaultCostUs();

  // Every target the rounds load is warmed up, the mock too: a cold upstream in the first round
  // would make the direct figures, which the added latency is taken against, slower.
  const warmUps: string[] = [];
  for (const s of scenarios) {
    startPhase(`warm-up ${s.name}`, warmupEstimate);
    const upstreamBody = chatBody(s.slow ? UPSTREAM_MODELS.slow : UPSTREAM_MODELS.fast, s.stream);
    const took = [`ScaiGrid ${await warmUp(viaGateway(), chatBody(s.slow ? MODELS.slow : MODELS.fast, s.stream), 16, gatewayWarmUp)} s`];
    took.push(`direct ${await warmUp(direct(), upstreamBody, 16, otherWarmUp)} s`);
    if (floorConnections.length > 0) took.push(`floor ${await warmUp(viaFloor(), upstreamBody, 16, otherWarmUp)} s`);
    warmUps.push(`${s.name}: ${took.join(', ')}`);
  }
  // A profile summarizes the rounds: what the code costs once compiled, not the compiler.
  loadWindow.fromUs = monotonicUs();

  const cells: CellResult[] = scenarios.flatMap((s) => connections.map((c) => ({ scenario: s.name, connections: c, rounds: [] })));
  const ttfb: TtfbResult[] = scenarios.filter((s) => s.stream).map((s) => ({ scenario: s.name, direct: [], gateway: [], floor: [], split: { direct: [], gateway: [], floor: [] }, faults: { gateway: [], floor: [] } }));
  for (let round = 1; round <= rounds; round++) {
    for (const s of scenarios) {
      for (const c of connections) {
        const label = `round ${round}/${rounds} · ${s.name} · ${c} conn`;
        const cell = cells.find((x) => x.scenario === s.name && x.connections === c)!;
        startPhase(`${label} · direct`, leadInSeconds + seconds + 0.3);
        const d = await runLoad(direct(), chatBody(s.slow ? UPSTREAM_MODELS.slow : UPSTREAM_MODELS.fast, s.stream), c, seconds, { leadInSeconds });
        startPhase(`${label} · ScaiGrid`, leadInSeconds + seconds + 0.3);
        const g = await runLoad(viaGateway(), chatBody(s.slow ? MODELS.slow : MODELS.fast, s.stream), c, seconds, {
          leadInSeconds,
          atStart: () => readCounters(gateway, redisPinning.pid),
        });
        const { cpu: cpuBefore, redisCpu: redisCpuBefore, gc: gcBefore } = g.atStart;
        const cpu = cpuMicros(gateway.pid) - cpuBefore;
        const result: RoundResult = { direct: d, gateway: g, cpuPerRequest: g.requests > 0 ? cpu / g.requests : Number.NaN, allocation: allocationSince(gcBefore, gateway.gc()) };
        // Only the gateway uses Redis in these rounds: the server's time is this load's.
        if (redisCpuBefore !== undefined && g.requests > 0) result.redisCpuPerRequest = (cpuMicros(redisPinning.pid!) - redisCpuBefore) / g.requests;
        if (floorConnections.includes(c)) {
          startPhase(`${label} · floor proxy`, leadInSeconds + seconds + 0.3);
          // The floor gets the upstream model name: it forwards the body as it is.
          const f = await runLoad(viaFloor(), chatBody(s.slow ? UPSTREAM_MODELS.slow : UPSTREAM_MODELS.fast, s.stream), c, seconds, {
            leadInSeconds,
            atStart: () => readCounters(floor),
          });
          const floorCpu = cpuMicros(floor.pid) - f.atStart.cpu;
          result.floor = { result: f, cpuPerRequest: f.requests > 0 ? floorCpu / f.requests : Number.NaN, allocation: allocationSince(f.atStart.gc, floor.gc()) };
        }
        cell.rounds.push(result);
      }
      if (s.stream) {
        const t = ttfb.find((x) => x.scenario === s.name)!;
        startPhase(`round ${round}/${rounds} · ${s.name} · time to first byte`, ((floorConnections.length > 0 ? 3 : 2) * probes * (s.slow ? slowProbeMs : 5)) / 1000);
        const upstreamModel = s.slow ? UPSTREAM_MODELS.slow : UPSTREAM_MODELS.fast;
        const record = (path: 'direct' | 'gateway' | 'floor', probe: FirstByteProbe) => {
          t[path].push(probe.ttfbMs);
          t.split[path].push({ inUs: spanUs(probe.wayIn), outUs: spanUs(probe.wayOut) });
          if (path === 'gateway') {
            firstByteWindows.wayIn.push(probe.wayIn);
            firstByteWindows.wayOut.push(probe.wayOut);
          }
        };
        // The page faults each proxy took during its probe (the stream, and the settlement after it).
        const counted = async (path: 'gateway' | 'floor', pid: number, probing: () => Promise<FirstByteProbe>) => {
          const before = minorFaults(pid);
          record(path, await probing());
          t.faults![path].push(minorFaults(pid) - before);
        };
        for (let i = 0; i < probes; i++) {
          record('direct', await firstByteProbe(direct(), upstreamModel));
          await counted('gateway', gateway.pid, () => firstByteProbe(viaGateway(), s.slow ? MODELS.slow : MODELS.fast));
          // What a bare hop adds to the first byte, probed in the same sequence.
          if (floorConnections.length > 0) await counted('floor', floor.pid, () => firstByteProbe(viaFloor(), upstreamModel));
        }
      }
    }
  }
  loadWindow.toUs = monotonicUs();
  const rssAfterMb = rssMb(gateway.pid);
  closeProbes();
  let rssSettled: Report['rssSettled'];
  if (settleSeconds > 0) {
    // V8 gives memory back only once it sees the process idle (its memory reducer, some
    // seconds after the last major collection), so RSS right after the load is close to its
    // peak. The lowest reading of the idle spell, and when it came.
    startPhase('idle: memory after the run settles', settleSeconds);
    rssSettled = { mb: rssAfterMb, afterSeconds: 0, watchedSeconds: settleSeconds };
    for (let second = 1; second <= settleSeconds; second++) {
      await new Promise((r) => setTimeout(r, 1000));
      const mb = rssMb(gateway.pid);
      if (mb < rssSettled.mb) rssSettled = { ...rssSettled, mb, afterSeconds: second };
    }
  }
  await gateway.stop();
  floor.stop();
  mock.stop();

  const coldStartMs: number[] = [];
  if (coldStarts > 0) {
    const dir = mkdtempSync(join(tmpdir(), 'sg-bench-cold-'));
    const config = join(dir, 'scaigrid.yaml');
    writeFileSync(config, benchConfig(1));
    for (let i = 0; i < coldStarts; i++) {
      startPhase(`cold start ${i + 1}/${coldStarts}`, 2.5);
      coldStartMs.push(await coldStart(config, { SCAIGRID_REDIS_URL: 'memory://', [BENCH_KEY_ENV]: apiKey }, pin ? 0 : undefined));
    }
    rmSync(dir, { recursive: true, force: true });
  }

  report = {
    started,
    settings: `${rounds} round(s) of ${seconds} s per scenario${leadInSeconds > 0 ? `, each after a lead-in of ${leadInSeconds} s of the same load that is not counted (its p99 is in "Right after idling")` : ''}, connections ${connections.join('/')}, ${probes} TTFB probes per stream scenario and round, Node ${process.version}; warm-up at 16 connections until throughput stopped rising (${warmUps.join('; ')})`,
    plugins,
    redis: process.env.SCAIGRID_REDIS_URL && !process.env.SCAIGRID_REDIS_URL.startsWith('memory:') ? `real (SCAIGRID_REDIS_URL), server ${redisPinning.description}` : 'memory:// (set SCAIGRID_REDIS_URL for real Redis)',
    otherProcesses: coreClearing.description,
    cells,
    ttfb,
    rssIdleMb,
    rssAfterMb,
    rssSettled,
    coldStartMs,
    abortReachedUpstream,
    pageFaultUs,
  };
} catch (err) {
  if (!existsSync(`/proc/${gateway.pid}`)) process.stderr.write(`\nScaiGrid exited during the run; its last output:\n${gateway.output().slice(-4000)}\n`);
  throw err;
} finally {
  if (progressTimer) clearInterval(progressTimer);
  if (tty) process.stderr.write('\r\x1b[K');
  closeProbes();
  await gateway.stop();
  floor.stop();
  mock.stop();
  redisPinning.restore();
  coreClearing.restore();
}

const markdown = renderReport(report!);
process.stdout.write(`\n${markdown}\n`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `${started.toISOString().replace(/[:.]/g, '-')}.md`);
writeFileSync(file, markdown);
process.stdout.write(`Saved to ${file}\n`);
if (args.profile) {
  const profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  for (const p of profiles) {
    const file = join(profileDir, p);
    process.stdout.write(`\nCPU profile ${file}:\n${summarizeProfile(file, 30, [loadWindow])}\n`);
    // The probes run one at a time on an otherwise idle gateway, so these samples are theirs alone.
    if (firstByteWindows.wayIn.length > 0) {
      process.stdout.write(`\nThe same profile inside the first-byte probes, way in (request sent → the upstream has it):\n${summarizeProfile(file, 20, firstByteWindows.wayIn)}\n`);
      process.stdout.write(`\nWay out (the upstream's first event → the client has it):\n${summarizeProfile(file, 20, firstByteWindows.wayOut)}\n`);
    }
  }
}
process.exit(0);
