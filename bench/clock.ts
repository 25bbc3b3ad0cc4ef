/**
 * @module bench/clock
 * Microseconds on the machine's monotonic clock (CLOCK_MONOTONIC, via process.hrtime), which
 * every process on the host shares: the bench, the mock upstream and the gateway's profile
 * can line up instants with it, unlike `performance.now()`, which counts from each process's start.
 */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);
