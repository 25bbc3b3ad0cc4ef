/**
 * The RSS breakdown of bench/memory-probe.ts: what it counts as the node binary, as malloc
 * arenas and as the rest, on a hand-made smaps and on this test's own process.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { breakdown, parseSmaps } from '../smaps.js';

const mapping = (range: string, perms: string, name: string, rssKb: number) =>
  `${range} ${perms} 00000000 00:00 0                          ${name}\nSize:               1000 kB\nRss:                ${rssKb} kB\nPss:                 1 kB\n`;

it('sorts mappings into the node binary, other files, malloc arenas and other anonymous memory', () => {
  const smaps = [
    mapping('00400000-00500000', 'r-xp', '/usr/bin/node', 30000),
    mapping('00500000-00600000', 'r--p', '/usr/bin/node', 2000),
    mapping('01000000-02000000', 'rw-p', '[heap]', 5000),
    mapping('7f0004000000-7f0004400000', 'rw-p', '', 3500), // a thread's arena: 64 MB aligned
    mapping('7f0004400000-7f0008000000', '---p', '', 0),
    mapping('7f0008000000-7f0008100000', 'rw-p', '', 300),
    mapping('7f0010040000-7f0010080000', 'rw-p', '', 256), // a V8 page: not 64 MB aligned
    mapping('7f0020000000-7f0020100000', 'r-xp', '/usr/lib/libc.so.6', 1300),
    mapping('7ffc00000000-7ffc00021000', 'rw-p', '[stack]', 100),
  ].join('');
  expect(breakdown(parseSmaps(smaps), '/usr/bin/node')).toEqual({
    totalKb: 30000 + 2000 + 5000 + 3500 + 300 + 256 + 1300 + 100,
    nodeBinaryKb: 32000,
    otherFilesKb: 1300,
    mallocArenasKb: [5000, 3500, 300],
    otherAnonymousKb: 356,
  });
});

it("adds up to this process's own RSS", () => {
  const own = breakdown(parseSmaps(readFileSync('/proc/self/smaps', 'utf8')), process.execPath);
  const statusKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  expect(own.nodeBinaryKb).toBeGreaterThan(1000);
  expect(own.mallocArenasKb[0]).toBeGreaterThan(0);
  // Read a moment apart, so within a few MB.
  expect(Math.abs(own.totalKb - statusKb)).toBeLessThan(8 * 1024);
});
