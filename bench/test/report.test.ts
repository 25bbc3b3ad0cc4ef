/**
 * The bench report's floor section: medians over the rounds that measured the floor, and
 * ScaiGrid minus floor per scenario; no section when the floor was not measured.
 */
import { expect, it } from 'vitest';
import type { LoadResult } from '../load.js';
import { kbPerRequest, MIN_COLLECTIONS, renderReport, type Report, type RoundResult } from '../report.js';

const load = (p50: number): LoadResult => ({ requests: 1000, ok: 1000, failed: 0, seconds: 5, rps: 200, p50, p99: p50 * 2, failures: {} });

function report(rounds: RoundResult[]): Report {
  return {
    started: new Date('2026-11-28T00:00:00Z'),
    settings: 'test',
    plugins: ['auth'],
    redis: 'real',
    cells: [{ scenario: 'non-stream', connections: 16, rounds }],
    ttfb: [],
    rssIdleMb: 100,
    rssAfterMb: 110,
    coldStartMs: [900],
    abortReachedUpstream: true,
  };
}

it('shows the floor next to ScaiGrid, per scenario, as medians of the rounds', () => {
  const rounds: RoundResult[] = [400, 500, 600].map((floorCpu, i) => ({
    direct: load(2),
    gateway: load(10 + i),
    cpuPerRequest: 1000 + i * 100,
    floor: { result: load(3 + i), cpuPerRequest: floorCpu },
  }));
  const markdown = renderReport(report(rounds));
  expect(markdown).toContain('## Floor: the proxy hop alone');
  // CPU medians: floor 500, ScaiGrid 1,100, difference 600, ratio 2.2. Added p50 per round: floor
  // 1, 2, 3 ms (p50 3, 4, 5 minus direct 2), ScaiGrid 8, 9, 10 ms: medians +2.00 and +9.00; p99
  // is twice p50 in these fixtures: floor 6, 8, 10 and ScaiGrid 20, 22, 24 minus direct 4.
  expect(markdown).toContain('| non-stream | 16 | 500 | 1,100 | 600 | 2.20× | +2.00 | +9.00 | +4.00 | +18.00 |');
});

it('leaves the floor section out when the floor was not measured', () => {
  const markdown = renderReport(report([{ direct: load(2), gateway: load(10), cpuPerRequest: 1000 }]));
  expect(markdown).not.toContain('Floor');
});

it('reports the RSS after an idle spell beside the RSS right after the run, and checks the target against the latter', () => {
  const rounds: RoundResult[] = [{ direct: load(2), gateway: load(10), cpuPerRequest: 1000 }];
  const settled = renderReport({ ...report(rounds), rssAfterMb: 146, rssSettled: { mb: 99, afterSeconds: 25, watchedSeconds: 60 } });
  expect(settled).toContain('after the run: 146 MB; lowest in 60 s of idleness after it: 99 MB (after 25 s)');
  expect(settled).toMatch(/\| RSS after the run \| ≤ 120 MB \| 146\.0 MB \| \*\*not met\*\* \|/);
  // Just over the goal reads as over it, not as the goal itself.
  expect(renderReport({ ...report(rounds), rssAfterMb: 120.4 })).toMatch(/\| RSS after the run \| ≤ 120 MB \| 120\.4 MB \| \*\*not met\*\* \|/);
  expect(renderReport(report(rounds))).not.toContain('idleness');
});

it('shows what the floor proxy adds to a stream first byte beside what ScaiGrid adds, and a dash without floor probes', () => {
  const rounds: RoundResult[] = [{ direct: load(2), gateway: load(10), cpuPerRequest: 1000 }];
  const markdown = renderReport({
    ...report(rounds),
    ttfb: [
      {
        scenario: 'stream',
        direct: [1, 1.2, 1.1],
        gateway: [2, 2.4, 2.2],
        floor: [1.5, 1.7, 1.6],
        split: {
          direct: [{ inUs: 100, outUs: 90 }, { inUs: 120, outUs: 80 }, { inUs: 110, outUs: 85 }],
          gateway: [{ inUs: 700, outUs: 400 }, { inUs: 650, outUs: 450 }, { inUs: 2000, outUs: 420 }],
          floor: [{ inUs: 400, outUs: 300 }, { inUs: 380, outUs: 310 }, { inUs: 390, outUs: 290 }],
        },
      },
      { scenario: 'stream-slow', direct: [6], gateway: [7.5], floor: [], split: { direct: [{ inUs: 1000, outUs: 1100 }], gateway: [{ inUs: 1500, outUs: 1400 }], floor: [] } },
    ],
  });
  // Medians: direct 1.1, ScaiGrid 2.2 (+1.1), floor 1.6 (+0.5).
  expect(markdown).toContain('| stream | 3 | 1.10 | 2.20 | +1.10 | +0.50 |');
  expect(markdown).toContain('| stream-slow | 1 | 6.00 | 7.50 | +1.50 | – |');
  // The split, per path: medians of the way in and the way out; a path without probes has no row.
  expect(markdown).toContain('| stream | direct | 110 | 85 |');
  expect(markdown).toContain('| stream | ScaiGrid | 700 | 420 |');
  expect(markdown).toContain('| stream | floor proxy | 390 | 300 |');
  expect(markdown).toContain('| stream-slow | ScaiGrid | 1,500 | 1,400 |');
  expect(markdown).not.toContain('| stream-slow | floor proxy |');
});

it('puts what the floor proxy alone reaches beside each latency target, and a dash where the floor did not run', () => {
  const at = (connections: number, floorP50: number): Report['cells'][number] => ({
    scenario: 'non-stream',
    connections,
    rounds: [{ direct: load(2), gateway: load(3), cpuPerRequest: 200, floor: { result: load(floorP50), cpuPerRequest: 100 } }],
  });
  const markdown = renderReport({
    ...report([]),
    // 1 conn: floor p50 2.2 − direct 2 = +0.20 (meets ≤ 0.3). 16 conns: floor p99 6 − direct p99 4 = +2.00 (meets ≤ 2).
    cells: [at(1, 2.2), at(16, 3)],
    ttfb: [
      { scenario: 'stream', direct: [1], gateway: [2], floor: [1.5], split: { direct: [], gateway: [], floor: [] } },
      { scenario: 'stream 5ms/chunk', direct: [6], gateway: [8], floor: [7.25], split: { direct: [], gateway: [], floor: [] } },
    ],
  });
  expect(markdown).toMatch(/\| added p50, non-streaming, 1 conn \| ≤ 0\.3 ms \| \+1\.00 ms \| \*\*not met\*\* \| \+0\.20 ms \(met\) \|/);
  expect(markdown).toMatch(/\| added p99, non-streaming, 16 conns \| ≤ 2 ms \| \+2\.00 ms \| met \| \+2\.00 ms \(met\) \|/);
  // The worst stream for the floor: 7.25 − 6 = +1.25 (misses ≤ 1).
  expect(markdown).toMatch(/\| stream TTFB above direct \(worst stream\) \| ≤ 1 ms \| \+2\.00 ms \| \*\*not met\*\* \| \+1\.25 ms \(not met\) \|/);
  expect(renderReport(report([{ direct: load(2), gateway: load(10), cpuPerRequest: 1000 }]))).toMatch(/\| added p99, non-streaming, 16 conns \| ≤ 2 ms \| \+16\.00 ms \| \*\*not met\*\* \| – \|/);
});

it('puts the floor proxy\'s CPU per request beside each CPU target, at its lowest count above 1 connection', () => {
  const cell = (scenario: string, connections: number, gatewayCpu: number, floorCpu: number[]): Report['cells'][number] => ({
    scenario,
    connections,
    rounds: floorCpu.map((cpu) => ({ direct: load(2), gateway: load(3), cpuPerRequest: gatewayCpu, floor: { result: load(2.5), cpuPerRequest: cpu } })),
  });
  const markdown = renderReport({
    ...report([]),
    // Non-stream: the floor at 1 connection (90) does not count; at 16 its median is 212, at 64 it is 250.
    cells: [cell('non-stream', 1, 500, [90]), cell('non-stream', 16, 409, [200, 212, 230]), cell('non-stream', 64, 420, [250]), cell('stream', 16, 700, [650])],
  });
  expect(markdown).toMatch(/\| CPU per non-streaming request \(16\/64 conns, best\) \| ≤ 300 µs \| 409 µs \| \*\*not met\*\* \| 212 µs at 16 conns \(met\) \|/);
  expect(markdown).toMatch(/\| CPU per streaming request \(16\/64 conns, best\) \| ≤ 600 µs \| 700 µs \| \*\*not met\*\* \| 650 µs at 16 conns \(not met\) \|/);
  // Without floor rounds above 1 connection, a dash.
  expect(renderReport(report([{ direct: load(2), gateway: load(10), cpuPerRequest: 1000 }]))).toMatch(/\| CPU per non-streaming request \(16\/64 conns, best\) \| ≤ 300 µs \| 1,000 µs \| \*\*not met\*\* \| – \|/);
});

it('shows the page faults each proxy took per first-byte probe (the mean) and what one cost on the machine', () => {
  const split = { direct: [{ inUs: 100, outUs: 90 }], gateway: [{ inUs: 700, outUs: 400 }], floor: [{ inUs: 400, outUs: 300 }] };
  const markdown = renderReport({
    ...report([]),
    // ScaiGrid: 0, 0 and 77 faults, a mean of 25.7 (the median, 0, would hide the spell); the floor none.
    ttfb: [{ scenario: 'stream', direct: [1], gateway: [2], floor: [1.5], split, faults: { gateway: [0, 0, 77], floor: [0, 0, 0] } }],
    pageFaultUs: 1.524,
  });
  expect(markdown).toContain('| stream | direct | 100 | 90 | – |');
  expect(markdown).toContain('| stream | ScaiGrid | 700 | 400 | 25.7 |');
  expect(markdown).toContain('| stream | floor proxy | 400 | 300 | 0.0 |');
  expect(markdown).toContain('A minor page fault cost 1.52 µs on this machine');
  // A report without the counts (an older run's shape) has dashes and no cost sentence.
  const without = renderReport({ ...report([]), ttfb: [{ scenario: 'stream', direct: [1], gateway: [2], floor: [], split: { ...split, floor: [] } }] });
  expect(without).toContain('| stream | ScaiGrid | 700 | 400 | – |');
  expect(without).not.toContain('A minor page fault cost');
});

it('gives KB allocated per request as all bytes over all requests of the rounds, ScaiGrid and floor', () => {
  // ScaiGrid: 60,000 KiB for 1,000 requests, then 120,000 KiB for 3,000 (60 and 40 KiB a request):
  // 45 KiB over both, where a median of the rounds would say 50. The floor: 25 MiB a round of 1,000.
  const kib = 1024;
  const rounds: RoundResult[] = [
    [60_000, 1000],
    [120_000, 3000],
  ].map(([allocatedKib, requests]) => ({
    direct: load(2),
    gateway: { ...load(3), requests: requests! },
    cpuPerRequest: 100,
    allocation: { bytes: allocatedKib! * kib, collections: 6 },
    floor: { result: load(2.5), cpuPerRequest: 50, allocation: { bytes: 25 * 1024 * kib, collections: 6 } },
  }));
  const markdown = renderReport(report(rounds));
  expect(markdown).toMatch(/\| non-stream \| 16 \|( [^|]+ \|){10} 45\.0 \| [^|]+ \|\n/);
  expect(markdown).toMatch(/\| non-stream \| 16 \| 50 \| 100 \|( [^|]+ \|){6} 25\.6 \| 45\.0 \|\n/);
});

it('leaves KB allocated per request out when the rounds saw too few collections or had no figure', () => {
  const few: RoundResult[] = [{ direct: load(2), gateway: load(3), cpuPerRequest: 100, allocation: { bytes: 1e9, collections: MIN_COLLECTIONS - 1 } }];
  expect(renderReport(report(few))).toMatch(/\| non-stream \| 16 \|( [^|]+ \|){10} – \| [^|]+ \|\n/);
  expect(kbPerRequest([{ requests: 10 }])).toBeNaN();
  expect(kbPerRequest([{ requests: 1024, allocation: { bytes: 2048 * 1024, collections: MIN_COLLECTIONS } }])).toBe(2);
});

it("gives the Redis server's CPU per request as the median of the rounds that measured it, and a dash without", () => {
  const rounds: RoundResult[] = [40, 60, 50].map((redisCpuPerRequest) => ({ direct: load(2), gateway: load(3), cpuPerRequest: 100, redisCpuPerRequest }));
  expect(renderReport(report(rounds))).toMatch(/\| non-stream \| 16 \|( [^|]+ \|){11} 50 \|\n/);
  const unmeasured: RoundResult[] = [{ direct: load(2), gateway: load(3), cpuPerRequest: 100 }];
  expect(renderReport(report(unmeasured))).toMatch(/\| non-stream \| 16 \|( [^|]+ \|){11} – \|\n/);
  expect(renderReport(report(rounds))).toContain('| Redis CPU µs/req |');
});

it("shows each path's p99 in the lead-in before the rounds, as medians, and no section without lead-ins", () => {
  const withLeadIn = (p50: number, leadInP99: number): LoadResult => ({ ...load(p50), leadIn: { ok: 500, p99: leadInP99 } });
  const rounds: RoundResult[] = [3, 5, 4].map((gatewayLeadIn, i) => ({
    direct: withLeadIn(2, 1 + i * 0.1),
    gateway: withLeadIn(10, gatewayLeadIn),
    cpuPerRequest: 1000,
    floor: { result: withLeadIn(3, 2), cpuPerRequest: 500 },
  }));
  const markdown = renderReport(report(rounds));
  expect(markdown).toContain('## Right after idling');
  // Lead-in p99 medians: direct 1.1, ScaiGrid 4 (3, 5, 4), floor 2.
  expect(markdown).toContain('| non-stream | 16 | 1.10 | 4.00 | +2.90 | +0.90 |');
  // The load table's p99 is the measured part's: 20 ms for ScaiGrid (p99 = 2 × p50 in these fixtures).
  expect(markdown).toContain('| 4.00 | 20.00 | +16.00 |');
  expect(renderReport(report([{ direct: load(2), gateway: load(10), cpuPerRequest: 1000 }]))).not.toContain('Right after idling');
});
