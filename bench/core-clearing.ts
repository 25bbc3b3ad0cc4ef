/**
 * @module bench/core-clearing
 * "Pin the gateway to one core and the rest to the other" covers more than the bench's own
 * processes and Redis: the machine runs services the bench never calls (here MariaDB,
 * PostgreSQL, RabbitMQ, NATS, Mosquitto), free to be scheduled on the gateway's core. A
 * scheduler trace of CPU 0 during a 5 s load at 16 connections (`perf sched record -C 0`,
 * 2026-11-30) showed a short-lived Erlang VM (a RabbitMQ tool with its scheduler and dirty-IO
 * threads) taking ~50 ms of it in bursts of several ms: each burst a stall of every request in
 * flight, which is what a p99 is made of. So, for the run, every thread that may float onto the
 * gateway's core is moved off it (its allowed CPUs minus that one), and put back afterwards,
 * even when the run fails. Threads pinned to that core alone (the gateway and the floor proxy,
 * started pinned) are left, and so are kernel threads, which cannot move. Threads a service
 * starts later inherit the narrowed set. `SCAIGRID_BENCH_CLEAR_CORE=0` leaves everything alone.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CoreClearing {
  /** What happened, for the report. */
  readonly description: string;
  restore(): void;
}

/** CPUs in a `Cpus_allowed_list` such as `0-1,4`. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [from, to] = part.split('-').map(Number);
    for (let cpu = from!; cpu <= (to ?? from!); cpu++) cpus.push(cpu);
  }
  return cpus;
}

interface ThreadAffinity {
  pid: number;
  tid: number;
  cpus: number[];
}

/** Every user-space thread of the processes `pids` lists, with the CPUs it may run on. */
function userThreads(pids: Iterable<number>): ThreadAffinity[] {
  const threads: ThreadAffinity[] = [];
  for (const pid of pids) {
    // This process is pinned already; PID 1 is the machine's init.
    if (pid === process.pid || pid === 1) continue;
    try {
      // Kernel threads have no command line (and cannot leave their CPU anyway).
      if (readFileSync(`/proc/${pid}/cmdline`).length === 0) continue;
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
        const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
        if (list) threads.push({ pid, tid: Number(task), cpus: parseCpuList(list) });
      }
    } catch {
      // The process ended while being read.
    }
  }
  return threads;
}

const setAffinity = (tid: number, cpus: readonly number[]) => spawnSync('taskset', ['-cp', cpus.join(','), String(tid)], { stdio: 'ignore' }).status === 0;

const allProcesses = () => readdirSync('/proc').map(Number).filter(Number.isInteger);

/**
 * Moves every other thread that may run on `cpu` off it; undoes it on restore() or exit.
 * `pids` narrows it to those processes (tests: their own children, not the whole machine).
 */
export function clearCore(cpu: number, pids: Iterable<number> = allProcesses()): CoreClearing {
  if (process.env.SCAIGRID_BENCH_CLEAR_CORE === '0') return { description: 'left as it was (SCAIGRID_BENCH_CLEAR_CORE=0)', restore: () => undefined };
  const moved: ThreadAffinity[] = [];
  let refused = 0;
  for (const thread of userThreads(pids)) {
    if (!thread.cpus.includes(cpu) || thread.cpus.length === 1) continue;
    if (setAffinity(thread.tid, thread.cpus.filter((c) => c !== cpu))) moved.push(thread);
    else refused++;
  }
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    process.off('exit', restore);
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    // A thread that ended since is simply not there to put back.
    for (const thread of moved) setAffinity(thread.tid, thread.cpus);
  };
  // Stopped with Ctrl-C or a kill, the machine's services get their cores back too; then the
  // signal does what it would have done.
  const interrupted = (signal: NodeJS.Signals) => {
    restore();
    process.kill(process.pid, signal);
  };
  process.once('exit', restore);
  if (moved.length > 0) {
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
  }
  const processes = new Set(moved.map((t) => t.pid)).size;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : what.endsWith('ss') ? 'es' : 's'}`;
  return {
    description: `${count(moved.length, 'thread')} of ${count(processes, 'other process')} moved off CPU ${cpu} for the run${refused > 0 ? ` (${refused} refused)` : ''}`,
    restore,
  };
}
