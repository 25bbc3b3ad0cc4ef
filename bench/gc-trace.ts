/**
 * @module bench/gc-trace
 * Reads what `node --trace-gc-nvp` prints, one line per collection
 * (`... pause=2.7 mutator=41.8 gc=s ... allocated=14864176 promoted=0 ...`), into totals: how much
 * was allocated and how much moved to the old generation between collections, and how long the
 * main thread stood still. `gc-probe.ts` takes them from ScaiGrid's and the floor proxy's output.
 */

export interface GcTotals {
  /** Young-generation collections (scavenges; `gc=s`, or `gc=mmc` under `--minor-mc`). */
  young: number;
  /** Full collections (`gc=mc`). */
  full: number;
  /** Bytes allocated, as V8 reports them at each collection (since the previous one). */
  allocatedBytes: number;
  /** Bytes moved from the young to the old generation. */
  promotedBytes: number;
  /** Main-thread pause of every collection, ms. */
  pauseMs: number;
}

const FIELD = /(?:^|\s)(pause|gc|allocated|promoted)=(\S+)/g;

/** Totals of every complete `--trace-gc-nvp` line in `output` (other output is ignored). */
export function gcTotals(output: string): GcTotals {
  const totals: GcTotals = { young: 0, full: 0, allocatedBytes: 0, promotedBytes: 0, pauseMs: 0 };
  for (const line of output.split('\n')) {
    const fields = new Map<string, string>();
    for (const [, name, value] of line.matchAll(FIELD)) if (!fields.has(name!)) fields.set(name!, value!);
    const kind = fields.get('gc');
    // A line cut off mid-write (the process still printing) lacks its later fields.
    if (!kind || !fields.has('promoted')) continue;
    if (kind === 'mc') totals.full++;
    else totals.young++;
    totals.allocatedBytes += Number(fields.get('allocated') ?? 0);
    totals.promotedBytes += Number(fields.get('promoted'));
    totals.pauseMs += Number(fields.get('pause') ?? 0);
  }
  return totals;
}

/** What happened between two readings of the same output. */
export function gcBetween(before: GcTotals, after: GcTotals): GcTotals {
  return {
    young: after.young - before.young,
    full: after.full - before.full,
    allocatedBytes: after.allocatedBytes - before.allocatedBytes,
    promotedBytes: after.promotedBytes - before.promotedBytes,
    pauseMs: after.pauseMs - before.pauseMs,
  };
}

/** What V8 reported allocating during a measurement: bytes, over how many collections. */
export interface Allocation {
  bytes: number;
  collections: number;
}

/** What V8 reported allocating between two readings of a process's collections. */
export function allocationSince(before: GcTotals, after: GcTotals): Allocation {
  const gc = gcBetween(before, after);
  return { bytes: gc.allocatedBytes, collections: gc.young + gc.full };
}

/**
 * Counts a process's `--trace-gc-nvp` lines as its output arrives and passes on the rest. Over a
 * whole `pnpm bench` a gateway prints tens of MB of them (~60 collections a second on a fast
 * day); kept in its output, every reading of it would scan and copy all of that again.
 * @example const tally = new GcTally(); child.stdout.on('data', (d) => (output += tally.feed(String(d))));
 */
export class GcTally {
  readonly totals: GcTotals = { young: 0, full: 0, allocatedBytes: 0, promotedBytes: 0, pauseMs: 0 };
  private partial = '';

  /** Adds the complete GC lines of `chunk` (a line split across chunks is kept until its end comes) and returns the other text. */
  feed(chunk: string): string {
    const text = this.partial + chunk;
    const end = text.lastIndexOf('\n') + 1;
    this.partial = text.slice(end);
    let rest = '';
    for (const line of text.slice(0, end).split('\n')) {
      if (line === '') continue;
      if (!/ gc=\S+/.test(line) || !line.includes(' pause=')) {
        rest += `${line}\n`;
        continue;
      }
      const one = gcTotals(line);
      for (const key of Object.keys(one) as (keyof GcTotals)[]) this.totals[key] += one[key];
    }
    return rest;
  }

  /** A copy of the totals so far, to take differences with `gcBetween`. */
  read(): GcTotals {
    return { ...this.totals };
  }
}
