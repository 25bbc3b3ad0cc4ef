/**
 * @module bench/redis-pinning
 * The figures are meant as "one Node process on one core", with everything else on the other.
 * Redis is part of everything else, but it is a server the bench finds running, free to be
 * scheduled on the gateway's core: there it took CPU time from the gateway in the middle of
 * its writes (the CPU profile charged ~14 % of the samples to the Redis `writev`, while the
 * gateway's own system time was ~50 µs per request). When Redis runs on this machine and the
 * bench may change its affinity, it is moved to the load generator's core for the run and put
 * back afterwards, even when the run fails. `SCAIGRID_BENCH_PIN_REDIS=0` leaves it alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface RedisPinning {
  /** What happened, for the report: pinned to which core, or why not. */
  readonly description: string;
  /** The server's process when it was pinned, for its CPU time (`/proc/<pid>/stat`). */
  readonly pid?: number;
  restore(): void;
}

/** Moves every thread of the local Redis server behind `url` to `cpu`; undoes it on restore() or exit. */
export async function pinLocalRedis(url: string | undefined, cpu: number): Promise<RedisPinning> {
  const unchanged = (why: string): RedisPinning => ({ description: `not pinned (${why})`, restore: () => undefined });
  if (process.env.SCAIGRID_BENCH_PIN_REDIS === '0') return unchanged('SCAIGRID_BENCH_PIN_REDIS=0');
  if (!url || url.startsWith('memory:')) return unchanged('no Redis server');
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') return unchanged(`${host} is not this machine`);
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let pid: number;
  try {
    await redis.connect();
    pid = Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
  } finally {
    redis.disconnect();
  }
  // A Redis in a container reports its own pid namespace's id.
  if (!Number.isInteger(pid) || !existsSync(`/proc/${pid}/comm`)) return unchanged('its process is not visible here');
  const before = /affinity list:\s*(\S+)/.exec(spawnSync('taskset', ['-cp', String(pid)], { encoding: 'utf8' }).stdout)?.[1];
  if (!before) return unchanged('taskset cannot read its affinity');
  const set = (cpus: string) => spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
  if (!set(String(cpu))) return unchanged('taskset was refused');
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    set(before);
  };
  process.once('exit', restore);
  return { description: `pinned to CPU ${cpu} for the run (pid ${pid}, was ${before})`, pid, restore };
}
