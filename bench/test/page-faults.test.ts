/**
 * Page-fault counting and costing (bench/page-faults.ts) on this test's own process: writing
 * fresh pages must show in /proc's count, and one fault must cost a positive time.
 */
import { expect, it } from 'vitest';
import { minorFaults, pageFaultCostUs } from '../page-faults.js';

it('counts the minor page faults a process takes when it writes fresh pages', () => {
  const before = minorFaults(process.pid);
  const memory = new Uint8Array(new ArrayBuffer(512 * 4096));
  for (let page = 0; page < 512; page++) memory[page * 4096] = 1;
  // At least most of the 512 pages faulted (the kernel may map a few around one fault).
  expect(minorFaults('self') - before).toBeGreaterThan(256);
});

it('prices one page fault in microseconds', () => {
  const cost = pageFaultCostUs(1024, 3);
  expect(cost).toBeGreaterThan(0);
  // Even this virtual machine's worst day (~16 µs) is far below a millisecond.
  expect(cost).toBeLessThan(1000);
});
