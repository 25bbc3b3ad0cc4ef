/**
 * The bench moves a local Redis server off the gateway's core for a run and puts it back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { pinLocalRedis } from '../redis-pinning.js';

const url = process.env.SCAIGRID_TEST_REDIS_URL;
const twoCores = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length >= 2;

it('leaves alone what it cannot or should not pin', async () => {
  expect((await pinLocalRedis(undefined, 1)).description).toBe('not pinned (no Redis server)');
  expect((await pinLocalRedis('memory://', 1)).description).toBe('not pinned (no Redis server)');
  expect((await pinLocalRedis('redis://redis.example:6379', 1)).description).toBe('not pinned (redis.example is not this machine)');
});

// Needs a real local Redis (SCAIGRID_TEST_REDIS_URL, as .ci/run sets), taskset and a second core.
it.runIf(url && existsSync('/usr/bin/taskset') && twoCores)('pins every Redis thread to the core and restores the affinity it found', async () => {
  const redis = new Redis(url!);
  const pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))![1]);
  redis.disconnect();
  const affinity = () => /affinity list:\s*(\S+)/.exec(spawnSync('taskset', ['-cp', String(pid)], { encoding: 'utf8' }).stdout)![1];
  const before = affinity();

  const pinning = await pinLocalRedis(url, 1);
  try {
    expect(pinning.description).toBe(`pinned to CPU 1 for the run (pid ${pid}, was ${before})`);
    expect(affinity()).toBe('1');
  } finally {
    pinning.restore();
  }
  expect(affinity()).toBe(before);
});
