/**
 * @module script-calls
 * Counts a Redis client's Lua script calls (EVALSHA and EVAL), for tests that prove a path
 * answers from memory: the proxy behaves as the client, `scriptCalls()` says how many
 * scripts went through it, and `scriptsAnswered()` waits for the ones sent so far.
 */

/**
 * @example
 * const { redis, scriptCalls } = countScriptCalls(t.context('ratelimit').redis);
 * const limiter = new SlidingWindowLimiter(redis);
 */
export function countScriptCalls<Client extends object>(client: Client): { redis: Client; scriptCalls: () => number; scriptsAnswered: () => Promise<void> } {
  let calls = 0;
  // Calls not answered yet, so a test can wait for work sent on the side without guessing how long it takes.
  const inFlight = new Set<Promise<unknown>>();
  const redis = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'evalsha' || property === 'eval') {
        return (...args: unknown[]) => {
          calls++;
          const answer = method.apply(target, args);
          if (answer instanceof Promise) {
            const done = (): void => {
              inFlight.delete(settled);
            };
            const settled: Promise<unknown> = answer.then(done, done);
            inFlight.add(settled);
          }
          return answer;
        };
      }
      return method.bind(target);
    },
  });
  /** Resolves once every script call made so far is answered and what its callers chained on it has run. */
  const scriptsAnswered = async () => {
    while (inFlight.size > 0) await Promise.all(inFlight);
    await new Promise((r) => setImmediate(r));
  };
  return { redis, scriptCalls: () => calls, scriptsAnswered };
}
