/**
 * @module bench/heap-report
 * Preloaded into the gateway by bench/memory-probe.ts (`node --import`): on SIGUSR2 it writes
 * V8's heap spaces (committed, physical and used bytes) as one JSON line to stderr, where the
 * probe reads them, so the RSS breakdown can say how much of the anonymous memory is V8's heap.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

process.on('SIGUSR2', () => {
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { physical: s.physical_space_size, used: s.space_used_size }]));
  const { total_physical_size: physical, used_heap_size: used } = getHeapStatistics();
  process.stderr.write(`${JSON.stringify({ heapReport: { physical, used, spaces } })}\n`);
});
