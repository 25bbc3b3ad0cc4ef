/**
 * @module bench/stages
 * A first byte's way through a proxy, stage by stage: the stamps `stage-stamps.cjs` took in
 * the proxy lined up with the client's (sent, first byte) and the mock's (request in, first
 * event out), all on one clock, turned into the span of each stage and summarized as
 * percentiles. Used by `first-byte-stages.ts`.
 */

/** What `stage-stamps.cjs` recorded for one request (µs, CLOCK_MONOTONIC). */
export interface ProxyStamps {
  /** Absent for the direct path, which has no proxy. */
  requestStart?: number;
  upstreamCreate?: number;
  upstreamHeadSent?: number;
  upstreamBodySent?: number;
  upstreamHead?: number;
  firstWrite?: number;
  socketWrite?: number;
}

/** The same request seen from outside: the client's send and first byte, the mock's arrival and first event. */
export interface OutsideStamps {
  sentUs: number;
  firstByteUs: number;
  upstreamReceivedUs: number;
  upstreamFirstEventUs: number;
}

/** Each stage: its name and how to take its span (µs) from one request's stamps; undefined when a stamp is missing. */
export const STAGES: readonly { name: string; span: (p: ProxyStamps, o: OutsideStamps) => number | undefined }[] = [
  { name: 'client sends → Node’s `request` event', span: (p, o) => minus(p.requestStart, o.sentUs) },
  { name: '`request` → undici makes the upstream request', span: (p) => minus(p.upstreamCreate, p.requestStart) },
  { name: 'undici → its head and body written', span: (p) => minus(p.upstreamBodySent ?? p.upstreamHeadSent, p.upstreamCreate) },
  { name: 'written → the upstream has it', span: (p, o) => minus(o.upstreamReceivedUs, p.upstreamBodySent ?? p.upstreamHeadSent) },
  { name: 'the upstream’s first event → undici has the response head', span: (p, o) => minus(p.upstreamHead, o.upstreamFirstEventUs) },
  { name: 'response head → first write to the client', span: (p) => minus(p.firstWrite, p.upstreamHead) },
  { name: 'first write → its socket write', span: (p) => minus(p.socketWrite, p.firstWrite) },
  { name: 'socket write → the client’s first byte', span: (p, o) => minus(o.firstByteUs, p.socketWrite) },
  { name: 'way in (client sends → the upstream has it)', span: (_, o) => o.upstreamReceivedUs - o.sentUs },
  { name: 'way out (the upstream’s first event → the client’s first byte)', span: (_, o) => o.firstByteUs - o.upstreamFirstEventUs },
  { name: 'first byte (client sends → first byte)', span: (_, o) => o.firstByteUs - o.sentUs },
];

function minus(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

/** The `q` quantile (0-1) of `values`, nearest rank; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

export interface StageSummary {
  name: string;
  /** p25, median, p75 (µs) of each side. */
  sides: Record<string, [number, number, number]>;
}

/**
 * Per stage, the p25 / median / p75 of every side's requests. `sides` maps a side's name to
 * its requests in order, each with its proxy's stamps and the outside stamps of the same probe.
 */
export function summarizeStages(sides: Record<string, readonly { proxy: ProxyStamps; outside: OutsideStamps }[]>): StageSummary[] {
  return STAGES.map((stage) => ({
    name: stage.name,
    sides: Object.fromEntries(
      Object.entries(sides).map(([side, requests]) => {
        const spans = requests.map((r) => stage.span(r.proxy, r.outside)).filter((s): s is number => s !== undefined);
        return [side, [quantile(spans, 0.25), quantile(spans, 0.5), quantile(spans, 0.75)] as [number, number, number]];
      }),
    ),
  }));
}

/** A Markdown table of the summary: one row per stage, "p25 / median / p75" per side. */
export function stageTable(summary: readonly StageSummary[]): string {
  const sides = Object.keys(summary[0]?.sides ?? {});
  const cell = (v: [number, number, number]) => v.map((x) => (Number.isNaN(x) ? '–' : x.toFixed(0))).join(' / ');
  return [
    `| stage (µs: p25 / median / p75) | ${sides.join(' | ')} |`,
    `|---|${sides.map(() => '---:').join('|')}|`,
    ...summary.map((s) => `| ${s.name} | ${sides.map((side) => cell(s.sides[side]!)).join(' | ')} |`),
  ].join('\n');
}
