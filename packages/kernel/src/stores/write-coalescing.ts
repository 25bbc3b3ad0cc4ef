/**
 * @module stores/write-coalescing
 * Joins everything written to a socket during one turn of the event loop into one write.
 *
 * The shared Redis clients use this instead of ioredis's auto-pipelining. Both send the
 * commands that many concurrent requests issue in one turn as one `writev`, but
 * auto-pipelining builds an ioredis Pipeline (promise, queue, callbacks, a per-instance
 * property) for every turn that issues a command, even a lone one, and in the benchmark those
 * objects were the largest share of the garbage that reached the old generation. Corking the
 * socket costs an array entry per write. Measured with `bench/compare.ts` (same build, switch
 * on vs auto-pipelining), CPU per non-streaming request: -25 % at 1 connection, -18 % at 16,
 * -12 % at 64; streaming at 16: -10 %.
 *
 * The flush runs in the loop's check phase (setImmediate), after the poll phase has delivered
 * every request that arrived together, like auto-pipelining's. A module that joins the turn's
 * calls into one command (the accounting's settlements, through `atScriptFlush` in
 * redis-script.ts) writes it just before the flush (`atTurnFlush`): written from a setImmediate
 * of its own it would often come after the flush and leave in a write of its own, a loop
 * iteration later.
 */
import type { Duplex } from 'node:stream';

const COALESCING = Symbol('scaigrid.writeCoalescing');

interface Coalescing {
  /** Writes are held until this turn's flush (the socket is corked). */
  corked: boolean;
  busy: () => boolean;
  /** Writers to run in this turn's flush, before the socket is uncorked. */
  beforeFlush: (() => void)[];
  /** Corks the socket and schedules the turn's flush. */
  hold(): void;
}

type Marked = Duplex & { [COALESCING]?: Coalescing };

/**
 * Wraps `socket.write` so that a write corks the socket until the turn's check phase, when
 * `busy()` says more writes are likely (Redis: replies are pending, so other requests are in
 * flight). An idle connection's write goes out at once: one command alone gains nothing from
 * waiting, and the setImmediate would cost more than it saves. Idempotent per socket.
 * @example redis.on('connect', () => coalesceWritesPerTurn(redis.stream, () => redis.commandQueue.length > 0));
 */
export function coalesceWritesPerTurn(socket: Duplex, busy: () => boolean): void {
  const marked = socket as Marked;
  if (marked[COALESCING]) return;
  const flush = () => {
    // A writer may write more than once, or add another writer: all of it goes in this flush.
    for (let i = 0; i < state.beforeFlush.length; i++) state.beforeFlush[i]!();
    state.beforeFlush.length = 0;
    state.corked = false;
    socket.uncork();
  };
  const state: Coalescing = {
    corked: false,
    busy,
    beforeFlush: [],
    hold() {
      state.corked = true;
      socket.cork();
      setImmediate(flush);
    },
  };
  marked[COALESCING] = state;
  const write = socket.write;
  socket.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!state.corked && !socket.destroyed && busy()) state.hold();
    return write.apply(this, args);
  } as Duplex['write'];
}

/**
 * Runs `writer` in this turn's flush, just before the turn's writes leave, when the socket's
 * writes are being coalesced this turn (or would be: the connection is busy). Returns false,
 * and runs nothing, when the socket writes at once (idle, destroyed, or not coalescing): the
 * caller writes now then.
 * @example if (!atTurnFlush(client.stream, () => sendBatch())) sendNow();
 */
export function atTurnFlush(socket: Duplex | undefined, writer: () => void): boolean {
  const state = (socket as Marked | undefined)?.[COALESCING];
  if (!state || socket!.destroyed) return false;
  if (!state.corked) {
    if (!state.busy()) return false;
    state.hold();
  }
  state.beforeFlush.push(writer);
  return true;
}
