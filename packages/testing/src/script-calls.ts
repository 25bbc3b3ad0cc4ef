/**
 * @module script-calls
 * Counts a Redis client's Lua script calls (EVALSHA and EVAL), for tests that prove a path
 * answers from memory: the proxy behaves as the client, and `scriptCalls()` says how many
 * scripts went through it.
 */

/**
 * @example
 * const { redis, scriptCalls } = countScriptCalls(t.context('ratelimit').redis);
 * const limiter = new SlidingWindowLimiter(redis);
 */
export function countScriptCalls<Client extends object>(client: Client): { redis: Client; scriptCalls: () => number } {
  let calls = 0;
  const redis = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'evalsha' || property === 'eval') {
        return (...args: unknown[]) => {
          calls++;
          return method.apply(target, args);
        };
      }
      return method.bind(target);
    },
  });
  return { redis, scriptCalls: () => calls };
}
