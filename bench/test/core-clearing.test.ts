/**
 * The bench moves every thread that may float onto the gateway's core off it for a run, leaves
 * the threads pinned to that core alone, and puts everything back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { clearCore, parseCpuList } from '../core-clearing.js';

const twoCores = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length >= 2;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

it('reads a CPU list as the kernel writes it', () => {
  expect(parseCpuList('0-1')).toEqual([0, 1]);
  expect(parseCpuList('0,2-4,7\n')).toEqual([0, 2, 3, 4, 7]);
  expect(parseCpuList('3')).toEqual([3]);
});

// Needs taskset and a second core to move anything to.
it.runIf(existsSync('/usr/bin/taskset') && twoCores)('moves floating threads off the core, leaves pinned ones, and restores both', () => {
  const start = (cpus: string) => {
    const child = spawn('taskset', ['-c', cpus, 'sleep', '30'], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  };
  const floating = start('0,1');
  const pinned = start('0');
  // taskset execs sleep in the same process: wait until it has.
  const affinity = (pid: number) => /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  const execed = (pid: number) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
  for (let i = 0; i < 200 && !(execed(floating) && execed(pinned)); i++) spawnSync('sleep', ['0.01']);
  expect([affinity(floating), affinity(pinned)]).toEqual(['0-1', '0']);

  const clearing = clearCore(0, [floating, pinned]);
  try {
    expect(clearing.description).toBe('1 thread of 1 other process moved off CPU 0 for the run');
    expect(affinity(floating)).toBe('1');
    expect(affinity(pinned)).toBe('0');
  } finally {
    clearing.restore();
  }
  expect([affinity(floating), affinity(pinned)]).toEqual(['0-1', '0']);
});

it('changes nothing when told not to', () => {
  process.env.SCAIGRID_BENCH_CLEAR_CORE = '0';
  try {
    expect(clearCore(0, []).description).toBe('left as it was (SCAIGRID_BENCH_CLEAR_CORE=0)');
  } finally {
    delete process.env.SCAIGRID_BENCH_CLEAR_CORE;
  }
});
