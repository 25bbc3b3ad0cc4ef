/**
 * @module test/helpers/socket-writes
 * Counts a socket's calls into its handle, to tell how writes left: one `write` each, or one
 * `writev` for everything a corked socket held.
 */
import type { Duplex } from 'node:stream';

/** The counts grow as the socket writes; read them after the turn. */
export function spyWrites(socket: Duplex): { write: number; writev: number } {
  const counts = { write: 0, writev: 0 };
  const s = socket as Duplex & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = s._write;
  const writev = s._writev;
  s._write = function (...a) {
    counts.write++;
    return write.apply(this, a);
  };
  s._writev = function (...a) {
    counts.writev++;
    return writev.apply(this, a);
  };
  return counts;
}
