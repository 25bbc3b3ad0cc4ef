/**
 * @module bench/page-faults
 * Minor page faults: how many a process took, and what one costs on this machine. A gateway
 * that serves sparse traffic takes one for every fresh page it allocates: when V8 sees less
 * than ~1 KB/ms allocated, it shrinks the young generation after each collection and gives
 * back the semi-space it is not using, so the next cycle's allocations land on pages the
 * kernel must hand out again. Under load it keeps them. What that costs depends on the
 * machine far more than CPU speed does: ~16 µs a fault on 2026-11-29 here, ~1.5 µs the next
 * day, against ~0.1-0.25 µs on bare metal (bench/README.md).
 */
import { procStat } from './gateway.js';

/** Minor page faults of process `pid` (all its threads) since it started, from /proc. */
export function minorFaults(pid: number | 'self'): number {
  // minflt is field 10.
  return Number(procStat(pid)[7]);
}

/**
 * Microseconds one minor page fault costs this process: `pages` fresh pages of a new
 * ArrayBuffer (zero pages the kernel maps on first write) written once each, timed, divided by
 * the faults /proc counted. The median of `runs`.
 */
export function pageFaultCostUs(pages = 8192, runs = 3): number {
  const costs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const memory = new Uint8Array(new ArrayBuffer(pages * 4096));
    const faultsBefore = minorFaults('self');
    const started = process.hrtime.bigint();
    for (let page = 0; page < pages; page++) memory[page * 4096] = 1;
    const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
    const faults = minorFaults('self') - faultsBefore;
    if (faults > 0) costs.push(elapsedUs / faults);
  }
  costs.sort((a, b) => a - b);
  return costs.length > 0 ? costs[Math.floor(costs.length / 2)]! : Number.NaN;
}
