/**
 * @module bench/report
 * Turns the per-round measurements into the Markdown report: one row per scenario and
 * connection count (medians over the interleaved rounds), a stream time-to-first-byte table,
 * memory and cold start, and the issue's targets with met / not met, beside what the floor proxy
 * alone reaches on the same latency goals.
 */
import type { Allocation } from './gc-trace.js';
import type { LoadResult } from './load.js';

export interface RoundResult {
  direct: LoadResult;
  gateway: LoadResult;
  /** Gateway CPU (user + system, all threads) per completed request, µs. */
  cpuPerRequest: number;
  /** What the gateway allocated during its run. */
  allocation?: Allocation;
  /**
   * The local Redis server's CPU (user + system) per completed gateway request, µs, when the
   * bench can see its process: what one request costs the store every instance shares.
   */
  redisCpuPerRequest?: number;
  /** The same load through the floor proxy (bench/floor-proxy.mjs), at the floor's connection count only. */
  floor?: { result: LoadResult; cpuPerRequest: number; allocation?: Allocation };
}

/**
 * Fewer collections than this over a cell's rounds and its KB per request is not given: V8
 * reports what was allocated since the previous collection, so a measurement is off by up to
 * one collection's worth at each end, which only many collections make small.
 */
export const MIN_COLLECTIONS = 10;

/**
 * KB allocated per request over the rounds that have a figure (all their bytes over all their
 * requests); NaN when the rounds saw fewer than MIN_COLLECTIONS collections. Unlike CPU time it
 * does not change with the machine's speed, so runs on slow and fast days compare.
 */
export function kbPerRequest(measured: { allocation?: Allocation; requests: number }[]): number {
  const withFigure = measured.filter((m) => m.allocation);
  const collections = withFigure.reduce((n, m) => n + m.allocation!.collections, 0);
  const requests = withFigure.reduce((n, m) => n + m.requests, 0);
  if (collections < MIN_COLLECTIONS || requests === 0) return Number.NaN;
  return withFigure.reduce((n, m) => n + m.allocation!.bytes, 0) / requests / 1024;
}

export interface CellResult {
  scenario: string;
  connections: number;
  rounds: RoundResult[];
}

export interface TtfbResult {
  scenario: string;
  direct: number[];
  gateway: number[];
  /** The floor proxy's probes, when the floor ran (`--floor`). */
  floor: number[];
  /**
   * The same probes split (µs): from the client sending to the upstream having the whole
   * request (`inUs`), and from the upstream writing its first event to the client reading it
   * (`outUs`). The rest of a first byte is the upstream's own wait, the same on every path.
   */
  split: Record<'direct' | 'gateway' | 'floor', { inUs: number; outUs: number }[]>;
  /** Minor page faults each proxy's process took per probe (the stream and the settlement after it). */
  faults?: Record<'gateway' | 'floor', number[]>;
}

export interface Report {
  started: Date;
  settings: string;
  plugins: string[];
  redis: string;
  /** What was done with the machine's other processes for the run (core-clearing.ts). */
  otherProcesses?: string;
  cells: CellResult[];
  ttfb: TtfbResult[];
  rssIdleMb: number;
  rssAfterMb: number;
  /** The lowest RSS while the gateway sat idle for `watchedSeconds` after the run (V8 returns memory then), and when. */
  rssSettled?: { mb: number; afterSeconds: number; watchedSeconds: number };
  coldStartMs: number[];
  abortReachedUpstream: boolean | undefined;
  /** What one minor page fault cost the bench process, µs (`page-faults.ts`). */
  pageFaultUs?: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(2)}` : '–');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const kb = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const PATH_NAMES = { direct: 'direct', gateway: 'ScaiGrid', floor: 'floor proxy' } as const;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

interface Summary {
  scenario: string;
  connections: number;
  directRps: number;
  gatewayRps: number;
  directP50: number;
  gatewayP50: number;
  addedP50: number;
  directP99: number;
  gatewayP99: number;
  addedP99: number;
  cpu: number;
  failed: number;
  allocatedKb: number;
  redisCpu: number;
}

export function summarize(cell: CellResult): Summary {
  const r = cell.rounds;
  return {
    scenario: cell.scenario,
    connections: cell.connections,
    directRps: median(r.map((x) => x.direct.rps)),
    gatewayRps: median(r.map((x) => x.gateway.rps)),
    directP50: median(r.map((x) => x.direct.p50)),
    gatewayP50: median(r.map((x) => x.gateway.p50)),
    // Added latency is taken within each round (same conditions), then the median of rounds.
    addedP50: median(r.map((x) => x.gateway.p50 - x.direct.p50)),
    directP99: median(r.map((x) => x.direct.p99)),
    gatewayP99: median(r.map((x) => x.gateway.p99)),
    addedP99: median(r.map((x) => x.gateway.p99 - x.direct.p99)),
    cpu: median(r.map((x) => x.cpuPerRequest)),
    failed: r.reduce((n, x) => n + x.direct.failed + x.gateway.failed, 0),
    allocatedKb: kbPerRequest(r.map((x) => ({ allocation: x.allocation, requests: x.gateway.requests }))),
    redisCpu: median(r.flatMap((x) => (x.redisCpuPerRequest === undefined ? [] : [x.redisCpuPerRequest]))),
  };
}

/**
 * What the floor proxy adds, measured as the latency targets measure ScaiGrid (medians of the
 * per-round differences; the worst stream for the first byte); NaN where it did not run.
 */
export function floorLatency(report: Report): { p50At1: number; p99At16: number; ttfb: number } {
  const added = (connections: number, pick: (r: RoundResult) => number) => {
    const cell = report.cells.find((c) => c.scenario === 'non-stream' && c.connections === connections);
    return median((cell?.rounds ?? []).filter((r) => r.floor).map(pick));
  };
  const probed = report.ttfb.filter((t) => t.floor.length > 0);
  return {
    p50At1: added(1, (r) => r.floor!.result.p50 - r.direct.p50),
    p99At16: added(16, (r) => r.floor!.result.p99 - r.direct.p99),
    ttfb: probed.length > 0 ? Math.max(...probed.map((t) => median(t.floor) - median(t.direct))) : Number.NaN,
  };
}

/**
 * The floor proxy's CPU per request in `scenario` (median of its rounds) at the connection count
 * above 1 where it was lowest, as the CPU targets read ScaiGrid's; undefined where it did not
 * run. On a slow day it shows the machine's part in a CPU figure: the bare hop's own cost.
 */
export function floorCpu(report: Report, scenario: string): { cpu: number; connections: number } | undefined {
  let best: { cpu: number; connections: number } | undefined;
  for (const cell of report.cells) {
    const rounds = cell.rounds.filter((r) => r.floor);
    if (cell.scenario !== scenario || cell.connections <= 1 || rounds.length === 0) continue;
    const cpu = median(rounds.map((r) => r.floor!.cpuPerRequest));
    if (!best || cpu < best.cpu) best = { cpu, connections: cell.connections };
  }
  return best;
}

export function renderReport(report: Report): string {
  const summaries = report.cells.map(summarize);
  const loadTable = table(
    ['scenario', 'conns', 'direct req/s', 'ScaiGrid req/s', 'direct p50 ms', 'ScaiGrid p50 ms', 'added p50 ms', 'direct p99 ms', 'ScaiGrid p99 ms', 'added p99 ms', 'ScaiGrid CPU µs/req', 'failed', 'ScaiGrid KB allocated/req', 'Redis CPU µs/req'],
    summaries.map((s) => [
      s.scenario,
      String(s.connections),
      int(s.directRps),
      int(s.gatewayRps),
      ms(s.directP50),
      ms(s.gatewayP50),
      signed(s.addedP50),
      ms(s.directP99),
      ms(s.gatewayP99),
      signed(s.addedP99),
      int(s.cpu),
      String(s.failed),
      kb(s.allocatedKb),
      int(s.redisCpu),
    ]),
  );
  const ttfbRows = report.ttfb.map((t) => {
    const d = median(t.direct);
    const g = median(t.gateway);
    const f = t.floor.length > 0 ? signed(median(t.floor) - d) : '–';
    return [t.scenario, String(t.direct.length), ms(d), ms(g), signed(g - d), f];
  });
  const ttfbTable = table(['stream', 'probes', 'direct TTFB ms', 'ScaiGrid TTFB ms', 'added ms', 'floor proxy added ms'], ttfbRows);
  // The mean, not the median: a proxy takes either none or one per page it allocates, by spells.
  const faultsPerProbe = (t: TtfbResult, path: 'direct' | 'gateway' | 'floor') => {
    const counts = path === 'direct' ? undefined : t.faults?.[path];
    return counts && counts.length > 0 ? (counts.reduce((sum, n) => sum + n, 0) / counts.length).toFixed(1) : '–';
  };
  const splitRows = report.ttfb.flatMap((t) =>
    (['direct', 'gateway', 'floor'] as const)
      .filter((path) => t.split[path].length > 0)
      .map((path) => [t.scenario, PATH_NAMES[path], int(median(t.split[path].map((p) => p.inUs))), int(median(t.split[path].map((p) => p.outUs))), faultsPerProbe(t, path)]),
  );
  const splitTable = table(['stream', 'path', 'request → upstream µs', 'upstream\'s first event → client µs', 'page faults / probe'], splitRows);
  const faultCost = Number.isFinite(report.pageFaultUs)
    ? ` A minor page fault cost ${report.pageFaultUs!.toFixed(2)} µs on this machine during the run (fresh pages written by the bench process); a proxy serving sparse traffic takes one for each page it allocates (bench/README.md, "Sparse traffic").`
    : '';
  const cold = median(report.coldStartMs);
  const floorRows = report.cells
    .filter((cell) => cell.rounds.some((r) => r.floor))
    .map((cell) => {
      const rounds = cell.rounds.filter((r) => r.floor);
      const floorCpu = median(rounds.map((r) => r.floor!.cpuPerRequest));
      const gatewayCpu = median(rounds.map((r) => r.cpuPerRequest));
      const added = (pick: (r: (typeof rounds)[number]) => number) => signed(median(rounds.map(pick)));
      return [
        cell.scenario,
        String(cell.connections),
        int(floorCpu),
        int(gatewayCpu),
        int(gatewayCpu - floorCpu),
        `${(gatewayCpu / floorCpu).toFixed(2)}×`,
        added((r) => r.floor!.result.p50 - r.direct.p50),
        added((r) => r.gateway.p50 - r.direct.p50),
        added((r) => r.floor!.result.p99 - r.direct.p99),
        added((r) => r.gateway.p99 - r.direct.p99),
        kb(kbPerRequest(rounds.map((r) => ({ allocation: r.floor!.allocation, requests: r.floor!.result.requests })))),
        kb(kbPerRequest(rounds.map((r) => ({ allocation: r.allocation, requests: r.gateway.requests })))),
      ];
    });
  const floorSection = floorRows.length
    ? [
        '## Floor: the proxy hop alone (same core, same rounds)',
        '',
        'The same load through `bench/floor-proxy.mjs`: Hono on @hono/node-server forwarding to the mock through an undici pool, with no gateway logic. What a hop costs on this machine; ScaiGrid minus floor is what auth, limits, routing, budgets, prompts and mapping add. KB allocated per request is what V8 reported (`--trace-gc-nvp`) over the rounds: it does not move with the machine\'s speed.',
        '',
        table(['scenario', 'conns', 'floor CPU µs/req', 'ScaiGrid CPU µs/req', 'ScaiGrid − floor µs', 'ScaiGrid ÷ floor', 'floor added p50 ms', 'ScaiGrid added p50 ms', 'floor added p99 ms', 'ScaiGrid added p99 ms', 'floor KB allocated/req', 'ScaiGrid KB allocated/req'], floorRows),
        '',
      ]
    : [];

  const leadInSection = renderLeadIns(report.cells);

  const find = (scenario: string, c: number) => summaries.find((s) => s.scenario === scenario && s.connections === c);
  const cpuNon = Math.min(...summaries.filter((s) => s.scenario === 'non-stream' && s.connections > 1).map((s) => s.cpu));
  const cpuStream = Math.min(...summaries.filter((s) => s.scenario === 'stream' && s.connections > 1).map((s) => s.cpu));
  const addedP50 = find('non-stream', 1)?.addedP50 ?? Number.NaN;
  const addedP99 = find('non-stream', 16)?.addedP99 ?? Number.NaN;
  const ttfbAdded = Math.max(...report.ttfb.map((t) => median(t.gateway) - median(t.direct)));
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : '**not met**');
  // The floor proxy against the same latency goals: a goal the bare hop misses on this machine
  // cannot be met by any gateway logic, which says what a "not met" beside it means.
  const floorAdded = floorLatency(report);
  const floorVerdict = (value: number, goal: number) => (Number.isFinite(value) ? `${signed(value)} ms (${value <= goal ? 'met' : 'not met'})` : '–');
  const floorCpuVerdict = (scenario: string, goal: number) => {
    const floor = floorCpu(report, scenario);
    return floor ? `${int(floor.cpu)} µs at ${floor.connections} conns (${floor.cpu <= goal ? 'met' : 'not met'})` : '–';
  };
  const targets = table(
    ['target', 'goal', 'measured', '', 'floor proxy alone'],
    [
      ['CPU per non-streaming request (16/64 conns, best)', '≤ 300 µs', `${int(cpuNon)} µs`, verdict(Number.isFinite(cpuNon) ? cpuNon <= 300 : undefined), floorCpuVerdict('non-stream', 300)],
      ['CPU per streaming request (16/64 conns, best)', '≤ 600 µs', `${int(cpuStream)} µs`, verdict(Number.isFinite(cpuStream) ? cpuStream <= 600 : undefined), floorCpuVerdict('stream', 600)],
      ['added p50, non-streaming, 1 conn', '≤ 0.3 ms', `${signed(addedP50)} ms`, verdict(Number.isFinite(addedP50) ? addedP50 <= 0.3 : undefined), floorVerdict(floorAdded.p50At1, 0.3)],
      ['added p99, non-streaming, 16 conns', '≤ 2 ms', `${signed(addedP99)} ms`, verdict(Number.isFinite(addedP99) ? addedP99 <= 2 : undefined), floorVerdict(floorAdded.p99At16, 2)],
      ['stream TTFB above direct (worst stream)', '≤ 1 ms', `${signed(ttfbAdded)} ms`, verdict(Number.isFinite(ttfbAdded) ? ttfbAdded <= 1 : undefined), floorVerdict(floorAdded.ttfb, 1)],
      // One decimal: a verdict of 120.4 MB read as "120 MB, not met".
      ['RSS after the run', '≤ 120 MB', `${report.rssAfterMb.toFixed(1)} MB`, verdict(report.rssAfterMb <= 120), '–'],
      ['cold start to /ready (embedded stores, median)', '≤ 1.5 s', `${Number.isFinite(cold) ? (cold / 1000).toFixed(2) : '–'} s`, verdict(Number.isFinite(cold) ? cold <= 1500 : undefined), '–'],
      ['client disconnect aborts the upstream stream', 'yes', report.abortReachedUpstream === undefined ? '–' : report.abortReachedUpstream ? 'yes' : 'no', verdict(report.abortReachedUpstream), '–'],
    ],
  );
  return [
    `# ScaiGrid bench — ${report.started.toISOString()}`,
    '',
    `${report.settings}. Plugins: ${report.plugins.join(', ')}. Redis: ${report.redis}. Gateway pinned to CPU 0, load generator and mock upstream to CPU 1${report.otherProcesses ? `; other processes: ${report.otherProcesses}` : ''}.`,
    '',
    '## Load (medians over interleaved rounds)',
    '',
    loadTable,
    '',
    '## Stream time to first byte (1 connection, sequential)',
    '',
    ttfbTable,
    '',
    `Where the first byte goes: the same probes timed at the mock upstream too (medians, one clock for all processes). What a proxy adds is its row minus direct; the upstream's own wait is the same on every path. Page faults: the mean per probe of each proxy's process.${faultCost}`,
    '',
    splitTable,
    '',
    ...floorSection,
    ...leadInSection,
    '## Memory and start',
    '',
    `- RSS idle (after boot and one request): ${report.rssIdleMb.toFixed(0)} MB; after the run: ${report.rssAfterMb.toFixed(0)} MB` +
      (report.rssSettled ? `; lowest in ${report.rssSettled.watchedSeconds} s of idleness after it: ${report.rssSettled.mb.toFixed(0)} MB (after ${report.rssSettled.afterSeconds} s)` : ''),
    `- cold start to /ready (embedded stores): ${report.coldStartMs.map((v) => `${v.toFixed(0)} ms`).join(', ') || '–'} (median ${Number.isFinite(cold) ? cold.toFixed(0) : '–'} ms)`,
    '',
    '## Targets',
    '',
    targets,
    '',
  ].join('\n');
}

/**
 * The lead-in before each round (load.ts, `LoadOptions.leadInSeconds`): the p99 of each path in
 * the first moments after it sat idle through the other targets' rounds, which the load table
 * leaves out. Empty when the rounds had no lead-in.
 */
export function renderLeadIns(cells: CellResult[]): string[] {
  const p99Of = (results: (LoadResult | undefined)[]) => median(results.flatMap((r) => (r?.leadIn && r.leadIn.ok > 0 ? [r.leadIn.p99] : [])));
  const rows = cells
    .filter((cell) => cell.rounds.some((r) => r.gateway.leadIn))
    .map((cell) => {
      const direct = p99Of(cell.rounds.map((r) => r.direct));
      const gateway = p99Of(cell.rounds.map((r) => r.gateway));
      const floor = p99Of(cell.rounds.map((r) => r.floor?.result));
      return [cell.scenario, String(cell.connections), ms(direct), ms(gateway), signed(gateway - direct), Number.isFinite(floor) ? signed(floor - direct) : '–'];
    });
  if (rows.length === 0) return [];
  return [
    '## Right after idling: the lead-in before each round',
    '',
    'Each round above starts after a lead-in of the same load that it does not count. Each path sat idle while the others were measured, and a gateway is slower for its first few hundred milliseconds after that (bench/README.md, "Right after idling"). Its p99, medians over rounds:',
    '',
    table(['scenario', 'conns', 'direct p99 ms', 'ScaiGrid p99 ms', 'ScaiGrid added p99 ms', 'floor proxy added p99 ms'], rows),
    '',
  ];
}
