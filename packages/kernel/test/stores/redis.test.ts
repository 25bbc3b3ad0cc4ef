import { afterEach, describe, expect, it } from 'vitest';
import { openRedis } from '../../src/stores/redis.js';
import { atScriptFlush, RedisScript } from '../../src/stores/redis-script.js';
import { scriptRouteOf } from '../../src/stores/script-route.js';
import type { MockDataset } from '../../src/stores/embedded-commands.js';
import type { RedisStore } from '../../src/stores/types.js';
import { spyWrites } from '../helpers/socket-writes.js';

const uniqueNamespace = () => `t${Date.now()}${Math.random().toString(36).slice(2, 8)}`;

// The same behaviour is required of the embedded store and of a real server.
function contract(name: string, url: () => string) {
  describe(name, () => {
    const opened: RedisStore[] = [];
    const open = async (namespace = uniqueNamespace()) => {
      const store = await openRedis(url(), { namespace });
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) {
        // Delete what the test wrote, by the namespace only this test used.
        const raw = store.connect();
        const keys = await raw.keys(`${store.namespace}:*`);
        if (keys.length > 0) await raw.del(...keys);
        raw.disconnect();
        await store.close();
      }
    });

    it('prefixes keys with <namespace>:<prefix>: and caches clients by prefix', async () => {
      const store = await open();
      expect(store.client('auth')).toBe(store.client('auth'));
      await store.client('auth').set('k', 'v1');
      await store.client('').set('shared', 'v2');
      const raw = store.connect();
      expect(await raw.get(`${store.namespace}:auth:k`)).toBe('v1');
      expect(await raw.get(`${store.namespace}:shared`)).toBe('v2');
      expect(await store.client('other').get('k')).toBeNull();
      raw.disconnect();
      await store.ping();
    });

    it('answers each of many commands issued in one turn with its own reply', async () => {
      const store = await open();
      const client = store.client('burst');
      // Sent together while earlier replies are pending: the shared client coalesces the writes.
      const sets = Array.from({ length: 200 }, (_, i) => client.set(`k${i}`, `v${i}`));
      const gets = Array.from({ length: 200 }, (_, i) => client.get(`k${i}`));
      expect(await Promise.all(sets)).toEqual(Array(200).fill('OK'));
      expect(await Promise.all(gets)).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    });

    it('RedisScript: runs by SHA once the server has the script, with prefixed keys', async () => {
      const store = await open();
      const client = store.client('rl');
      // A unique script per test run, so the first call cannot find it cached.
      const script = new RedisScript(`-- ${uniqueNamespace()}\nredis.call('INCRBY', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])`);
      const calls: string[] = [];
      const spy = new Proxy(client, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'eval' && name !== 'evalsha') return value;
          return (...args: unknown[]) => {
            calls.push(name);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      expect(String(await script.run(spy, ['counter'], [5]))).toBe('5');
      expect(calls).toEqual(['evalsha', 'eval']);
      expect(String(await script.run(spy, ['counter'], [3]))).toBe('8');
      expect(calls).toEqual(['evalsha', 'eval', 'evalsha']);
      const raw = store.connect();
      expect(await raw.get(`${store.namespace}:rl:counter`)).toBe('8');
      raw.disconnect();
    });

    it('RedisScript: an error raised by the script is not retried as EVAL', async () => {
      const store = await open();
      const client = store.client('rl');
      const script = new RedisScript(`-- ${uniqueNamespace()}\nredis.call('INCR', KEYS[1]); return redis.call('LPUSH', KEYS[1], 'x')`);
      await expect(script.run(client, ['k'], [])).rejects.toThrow();
      // The INCR ran once (before the failing LPUSH), not twice.
      expect(await client.get('k')).toBe('1');
    });

    it('scripts: results and command replies convert as Redis converts them', async () => {
      const client = (await open()).client('lua');
      // Numbers truncate, true is 1, false is nil, a table is an array up to its first nil.
      expect(await client.eval("return {7.9, -2.5, true, 'x', {1, {2}}, false, nil, 'after nil'}", 0)).toEqual([7, -2, 1, 'x', [1, [2]], null]);
      expect(await client.eval('return false', 0)).toBeNull();
      expect(await client.eval('return nil', 0)).toBeNull();
      expect(await client.eval("return redis.status_reply('FINE')", 0)).toBe('FINE');
      // Replies inside the script: a missing key is false, integers are numbers, bulk strings are strings.
      const seen = "redis.call('SET', KEYS[1], 10) local n = redis.call('INCRBY', KEYS[1], ARGV[1]) " +
        "return {tostring(redis.call('GET', KEYS[2])), type(n), n, type(redis.call('GET', KEYS[1])), redis.call('SET', KEYS[1], 'v')['ok'], #redis.call('TIME')}";
      expect(await client.eval(seen, 2, 'a', 'missing', 5)).toEqual(['false', 'number', 15, 'string', 'OK', 2]);
      // Whole-number arguments reach the command without a decimal point.
      expect(await client.eval("redis.call('SET', KEYS[1], 3 * 2) return redis.call('GET', KEYS[1])", 1, 'six')).toBe('6');
    });

    it('scripts: text beyond ASCII goes in, is stored and comes back as UTF-8', async () => {
      const client = (await open()).client('lua');
      const text = 'Grüße, 東京 😀 — a usage record';
      // #ARGV[1] is the length in bytes, as Redis's Lua counts it.
      expect(await client.eval("redis.call('RPUSH', KEYS[1], ARGV[1]) return {redis.call('LRANGE', KEYS[1], 0, 0)[1], #ARGV[1]}", 1, 'l', text)).toEqual([
        text,
        Buffer.byteLength(text),
      ]);
      expect(await client.lrange('l', 0, -1)).toEqual([text]);
      await client.set('plain', text);
      expect(await client.eval("return redis.call('GET', KEYS[1]) .. '!'", 1, 'plain')).toBe(`${text}!`);
    });

    it('scripts: a failing command raises in redis.call and is returned by redis.pcall', async () => {
      const client = (await open()).client('lua');
      await client.set('text', 'abc');
      await expect(client.eval("return redis.call('INCR', KEYS[1])", 1, 'text')).rejects.toThrow(/not an integer/);
      expect(await client.eval("local r = redis.pcall('INCR', KEYS[1]) return type(r) == 'table' and r['err'] ~= nil", 1, 'text')).toBe(1);
      await expect(client.eval("return redis.error_reply('MINE failed')", 0)).rejects.toThrow('MINE failed');
      await expect(client.eval('return nosuch.field', 0)).rejects.toThrow();
      // Scripts cannot leave globals behind for the next one.
      await expect(client.eval('leaked = 1 return 1', 0)).rejects.toThrow();
      expect(await client.eval('local kept = 1 return kept', 0)).toBe(1);
      expect(await client.get('text')).toBe('abc');
    });

    it('scripts: what a script writes with the commands the gateway uses, plain commands read', async () => {
      const client = (await open()).client('lua');
      const writes = `
        redis.call('HSET', KEYS[1], 'a', 1, 'b', 'two')
        redis.call('HINCRBY', KEYS[1], 'a', 4)
        redis.call('HDEL', KEYS[1], 'b')
        redis.call('PEXPIRE', KEYS[1], 60000)
        redis.call('RPUSH', KEYS[2], 'x', 'y', 'z')
        redis.call('LPUSH', KEYS[2], 'w')
        redis.call('LTRIM', KEYS[2], 1, -1)
        redis.call('ZADD', KEYS[3], 3, 'c', 1, 'a', 2, 'b')
        redis.call('ZREM', KEYS[3], 'b')
        redis.call('ZADD', KEYS[4], 1, 'old', 5, 'new')
        redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', 2)
        redis.call('INCR', KEYS[5])
        redis.call('EXPIRE', KEYS[5], 100)
        local first = redis.call('SET', KEYS[6], '1', 'NX', 'PX', 60000)
        local second = redis.call('SET', KEYS[6], '2', 'NX', 'PX', 60000)
        return {redis.call('HGET', KEYS[1], 'a'), redis.call('LRANGE', KEYS[2], 0, 1), redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '+inf'),
          redis.call('ZRANGEBYSCORE', KEYS[3], '(1', 3, 'WITHSCORES'), redis.call('ZSCORE', KEYS[3], 'c'), first['ok'], tostring(second),
          redis.call('HMGET', KEYS[1], 'a', 'gone')}`;
      const reply = await client.eval(writes, 6, 'h', 'l', 'z', 'z2', 'n', 'once');
      expect(reply).toEqual(['5', ['x', 'y'], ['a', 'c'], ['c', '3'], '3', 'OK', 'false', ['5', null]]);
      expect(await client.hgetall('h')).toEqual({ a: '5' });
      expect(await client.pttl('h')).toBeGreaterThan(50_000);
      expect(await client.lrange('l', 0, -1)).toEqual(['x', 'y', 'z']);
      expect(await client.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'c', '3']);
      expect(await client.zrange('z2', 0, -1)).toEqual(['new']);
      expect(await client.get('n')).toBe('1');
      expect(await client.ttl('n')).toBeGreaterThan(90);
      expect(await client.get('once')).toBe('1');
      // And the other way round: what plain commands wrote, a script reads.
      await client.hset('plain', 'f', 'v');
      expect(await client.eval("return redis.call('HGET', KEYS[1], 'f')", 1, 'plain')).toBe('v');
    });

    it('scripts: sets and absolute expiries (SADD, PTTL, PEXPIREAT), as plain commands see them', async () => {
      const client = (await open()).client('lua');
      const script = `
        local added = redis.call('SADD', KEYS[1], 'a', 'b', 'a')
        local again = redis.call('SADD', KEYS[1], 'b')
        local before = redis.call('PTTL', KEYS[1])
        local missing = redis.call('PTTL', KEYS[2])
        redis.call('PEXPIREAT', KEYS[1], ARGV[1])
        local nothing = redis.call('PEXPIREAT', KEYS[2], ARGV[1])
        return {added, again, before, missing, nothing, redis.call('PTTL', KEYS[1])}`;
      const reply = (await client.eval(script, 2, 'members', 'absent', String(Date.now() + 60_000))) as number[];
      expect(reply.slice(0, 5)).toEqual([2, 0, -1, -2, 0]);
      expect(reply[5]).toBeGreaterThan(55_000);
      expect(reply[5]).toBeLessThanOrEqual(60_000);
      expect((await client.smembers('members')).sort()).toEqual(['a', 'b']);
      expect(await client.pttl('members')).toBeGreaterThan(55_000);
      // A time already past deletes the key, as Redis does.
      await client.eval("return redis.call('PEXPIREAT', KEYS[1], ARGV[1])", 1, 'members', String(Date.now() - 1));
      expect(await client.exists('members')).toBe(0);
    });

    it('scripts: a command that fails changes nothing, even when its first arguments were good', async () => {
      const client = (await open()).client('lua');
      const script = `
        local failed = redis.pcall('ZADD', KEYS[1], '1', 'good', 'nope', 'bad')
        return {failed.err and 1 or 0, redis.call('ZSCORE', KEYS[1], 'good')}`;
      expect(await client.eval(script, 1, 'scores')).toEqual([1, null]);
      expect(await client.exists('scores')).toBe(0);
    });

    it('applies keyPrefix to KEYS of eval and defineCommand Lua scripts', async () => {
      const store = await open();
      const client = store.client('rl');
      const script = "redis.call('INCRBY', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])";
      expect(String(await client.eval(script, 1, 'counter', 5))).toBe('5');
      client.defineCommand('bumpBy', { numberOfKeys: 1, lua: script });
      const bumped = await (client as unknown as { bumpBy(key: string, by: number): Promise<string> }).bumpBy('counter', 3);
      expect(String(bumped)).toBe('8');
      const raw = store.connect();
      expect(await raw.get(`${store.namespace}:rl:counter`)).toBe('8');
      expect(await raw.get('counter')).toBeNull();
      raw.disconnect();
    });

    it('gives connect() a dedicated connection over the same data, with an optional verbatim keyPrefix', async () => {
      const store = await open();
      await store.client('m').set('x', '1');
      const dedicated = store.connect({ keyPrefix: `${store.namespace}:m:` });
      expect(dedicated).not.toBe(store.client('m'));
      expect(await dedicated.get('x')).toBe('1');
      await dedicated.quit();
    });
  });
}

contract('openRedis (memory://, embedded)', () => 'memory://');

// Runs only where a Redis server is provided (CI and dev machines set the variable; see DEVELOPERS.md).
const redisUrl = process.env.SCAIGRID_TEST_REDIS_URL;
describe.runIf(Boolean(redisUrl))('real server', () => {
  contract('openRedis (redis://, real server)', () => redisUrl!);

  it('sends every module\'s scripts on one connection, each with its own key prefix', async () => {
    const store = await openRedis(redisUrl!, { namespace: uniqueNamespace() });
    try {
      const rl = store.client('rl');
      const acct = store.client('acct');
      const route = scriptRouteOf(rl)!;
      expect(route.keyPrefix).toBe(`${store.namespace}:rl:`);
      expect(scriptRouteOf(acct)!.client).toBe(route.client);
      expect(route.client).not.toBe(rl);
      const script = new RedisScript("redis.call('INCRBY', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])");
      // Issued together, as a rate-limit check and a budget hold are.
      const replies = await Promise.all([script.run(rl, ['n'], [2]), script.run(acct, ['n'], [5]), script.run(rl, ['n'], [1])]);
      expect(replies.map(String)).toEqual(['2', '5', '3']);
      expect(await rl.get('n')).toBe('3');
      expect(await acct.get('n')).toBe('5');
      // The module clients themselves sent no script: only the shared connection ran EVALSHA/EVAL.
      const list = String(await store.client('').client('LIST'));
      const scriptsLine = list.split('\n').find((line) => line.includes(`name=${store.namespace}:scripts`));
      expect(scriptsLine).toMatch(/cmd=(evalsha|eval)\b/);
    } finally {
      const raw = store.connect();
      await raw.del(`${store.namespace}:rl:n`, `${store.namespace}:acct:n`);
      raw.disconnect();
      await store.close();
    }
  });

  it('shared clients hold a busy turn\'s writes for one write; an idle client writes at once', async () => {
    const store = await openRedis(redisUrl!, { namespace: uniqueNamespace() });
    try {
      const client = store.client('burst');
      await client.ping();
      const first = client.ping();
      // Nothing was pending when the first command went out: it was written at once.
      expect(client.stream.writableCorked).toBe(0);
      const second = client.ping();
      // Its reply is pending now, so the second waits for the rest of the turn.
      expect(client.stream.writableCorked).toBe(1);
      expect(await Promise.all([first, second])).toEqual(['PONG', 'PONG']);
      expect(client.stream.writableCorked).toBe(0);
      // A dedicated connection (blocking commands, BullMQ) is left as ioredis made it.
      const dedicated = store.connect();
      await dedicated.ping();
      const a = dedicated.ping();
      const b = dedicated.ping();
      expect(dedicated.stream.writableCorked).toBe(0);
      await Promise.all([a, b]);
      dedicated.disconnect();
    } finally {
      await store.close();
    }
  });
  it("atScriptFlush: a busy script connection runs the writer just before the turn's scripts leave, in the same write; an idle one declines", async () => {
    const store = await openRedis(redisUrl!, { namespace: uniqueNamespace() });
    try {
      const client = store.client('join');
      const script = new RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
      await script.run(client, ['n'], [1]);
      // Idle: nothing is held, the caller sends at once.
      let ran = 0;
      expect(atScriptFlush(client, () => ran++)).toBe(false);
      const scripts = scriptRouteOf(client)!.client;
      const writes = spyWrites(scripts.stream);
      const lone = script.run(client, ['n'], [1]);
      // Busy now: the writer's script goes in the turn's write, after the one issued before it.
      let joined: Promise<unknown> | undefined;
      expect(atScriptFlush(client, () => (joined = script.run(client, ['n'], [10])))).toBe(true);
      const plain = script.run(client, ['n'], [100]);
      expect(joined).toBeUndefined();
      expect(await lone).toBe(2);
      expect(await plain).toBe(102);
      expect(await joined).toBe(112);
      expect(writes).toEqual({ write: 1, writev: 1 });
      expect(ran).toBe(0);
    } finally {
      const raw = store.connect();
      await raw.del(`${store.namespace}:join:n`);
      raw.disconnect();
      await store.close();
    }
  });
});

describe('openRedis (memory:// specifics)', () => {
  it('atScriptFlush declines on the embedded store: it has no connection to hold a turn on, so scripts go at once', async () => {
    const store = await openRedis('memory://');
    let ran = false;
    expect(atScriptFlush(store.client('join'), () => (ran = true))).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(false);
    await store.close();
  });

  it("script commands change a set, list or hash in place, not a copy of it (the busier a second, the bigger its markers' set)", async () => {
    const store = await openRedis('memory://');
    const client = store.client('p');
    const dataset = client as unknown as MockDataset;
    const write = "redis.call('SADD', KEYS[1], ARGV[1]) redis.call('RPUSH', KEYS[2], ARGV[1]) redis.call('HINCRBY', KEYS[3], 'n', 1)";
    const keys = ['markers', 'pending', 'window'];
    await client.eval(write, keys.length, ...keys, 'first');
    const stored = keys.map((key) => dataset.data.peek(key));
    await client.eval(write, keys.length, ...keys, 'second');
    keys.forEach((key, i) => expect(dataset.data.peek(key)).toBe(stored[i]));
    // What the plain commands (ioredis-mock's own, which copy) read is the same.
    expect((await client.smembers('markers')).sort()).toEqual(['first', 'second']);
    expect(await client.lrange('pending', 0, -1)).toEqual(['first', 'second']);
    expect(await client.hget('window', 'n')).toBe('2');
    await store.close();
  });

  it('isolates the data of each anonymous memory:// store, and shares it across clients of one store', async () => {
    const a = await openRedis('memory://');
    const b = await openRedis('memory://');
    await a.client('p').set('k', 'a');
    const sameStore = a.connect();
    expect(await sameStore.get('sg:p:k')).toBe('a');
    sameStore.disconnect();
    expect(await b.client('p').get('k')).toBeNull();
    expect(a.embedded).toBe(true);
    expect(a.namespace).toBe('sg');
    await a.close();
    await b.close();
  });

  it('shares data between stores opened with the same memory://<name>', async () => {
    const name = `shared${Math.random().toString(36).slice(2, 8)}`;
    const a = await openRedis(`memory://${name}`);
    const b = await openRedis(`memory://${name}`);
    await a.client('p').set('k', 'a');
    expect(await b.client('p').get('k')).toBe('a');
    await a.client('p').del('k');
    await a.close();
    await b.close();
  });

  it('frees an anonymous store on close', async () => {
    const a = await openRedis('memory://');
    await a.client('p').set('k', 'a');
    const survivor = a.connect();
    await a.close();
    expect(await survivor.get('sg:p:k')).toBeNull();
    expect(() => a.client('p')).toThrow(/closed/);
    survivor.disconnect();
  });

  it('rejects unknown schemes without printing credentials', async () => {
    const error = await openRedis('valkey://user:topsecret@host:6379').catch((e: Error) => e);
    expect(String(error)).toMatch(/'valkey'.*redis:\/\/.*memory:\/\//);
    expect(String(error)).not.toMatch(/topsecret/);
    await expect(openRedis('memory://', { namespace: 'has space' })).rejects.toThrow(/namespace/);
  });
});
