/**
 * @module stores/embedded-scripts
 * Gives an ioredis-mock client the embedded store's EVAL and EVALSHA (embedded-lua.ts says
 * why): same call shapes and replies as ioredis (`eval(source, numKeys, ...keysAndArgs)`,
 * NOSCRIPT for an unknown SHA-1), run on the client's own dataset, so its key prefix applies
 * to KEYS as it does to the client's other commands. The script runs when called, as the
 * mock's other commands do, so commands keep the order they were issued in.
 */
import { createHash } from 'node:crypto';
import type { MockDataset } from './embedded-commands.js';
import { EmbeddedLua, type ScriptReply } from './embedded-lua.js';

type Arg = string | number | Buffer;

/** The mock's members this reads and replaces. */
interface MockClient extends MockDataset {
  eval(...args: unknown[]): Promise<unknown>;
  evalsha(...args: unknown[]): Promise<unknown>;
}

// One VM for the process: it holds only compiled scripts, the data stays in each client's dataset.
let shared: EmbeddedLua | undefined;

/**
 * Returns a function that installs the scripts on a client and hands the client back.
 * @example const client = runScriptsIn()(new RedisMock({ keyPrefix: 'sg:' }));
 */
export function runScriptsIn(): <C>(client: C) => C {
  const vm = (shared ??= new EmbeddedLua());
  return (client) => {
    const mock = client as unknown as MockClient;
    const split = (numKeys: unknown, rest: Arg[]) => {
      const n = Number(numKeys);
      if (!Number.isInteger(n)) throw new Error('ERR value is not an integer or out of range');
      if (n < 0) throw new Error("ERR Number of keys can't be negative");
      if (n > rest.length) throw new Error("ERR Number of keys can't be greater than number of args");
      const text = rest.map((a) => (Buffer.isBuffer(a) ? a.toString() : String(a)));
      return { keys: text.slice(0, n), args: text.slice(n) };
    };
    const run = (sha: string, numKeys: unknown, rest: Arg[]): ScriptReply => {
      const { keys, args } = split(numKeys, rest);
      return vm.run(sha, mock, keys, args);
    };
    mock.evalsha = (sha: unknown, numKeys: unknown, ...rest: Arg[]) => settled(() => run(String(sha).toLowerCase(), numKeys, rest));
    mock.eval = (source: unknown, numKeys: unknown, ...rest: Arg[]) =>
      settled(() => {
        const text = String(source);
        const sha = createHash('sha1').update(text).digest('hex');
        vm.load(sha, text);
        return run(sha, numKeys, rest);
      });
    return client;
  };
}

/** Runs `work` now and reports its outcome as a promise, as ioredis-mock's commands do. */
function settled<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err);
  }
}
