import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createEventHub, type EventHub } from '../../src/stores/event-bus.js';
import { openRedis } from '../../src/stores/redis.js';
import type { EventMessage, RedisStore } from '../../src/stores/types.js';

const uniqueNamespace = () => `t${Date.now()}${Math.random().toString(36).slice(2, 8)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

interface Setup {
  redis: RedisStore;
  hub: EventHub;
  lines: Record<string, unknown>[];
}

// The semantics every module may rely on, on the embedded bus and on Redis Streams alike.
function contract(name: string, redisUrl: () => string) {
  describe(name, () => {
    const setups: Setup[] = [];
    const setup = async (namespace = uniqueNamespace(), instanceId = 'test-instance'): Promise<Setup> => {
      const redis = await openRedis(redisUrl(), { namespace });
      const { log, lines } = capturingLogger();
      const hub = createEventHub({ redis, instanceId, log });
      const created = { redis, hub, lines };
      setups.push(created);
      return created;
    };
    afterEach(async () => {
      for (const { redis, hub } of setups.splice(0)) {
        await hub.close();
        if (!redis.embedded) {
          const raw = redis.connect();
          const keys = await raw.keys(`${redis.namespace}:*`);
          if (keys.length > 0) await raw.del(...keys);
          raw.disconnect();
        }
        await redis.close();
      }
    });

    it('broadcasts each message to every subscriber, stamped with the publishing module', async () => {
      const { hub } = await setup();
      const a: EventMessage[] = [];
      const b: EventMessage[] = [];
      await hub.forModule('cache').subscribe('keys.revoked', (m) => void a.push(m));
      await hub.forModule('audit').subscribe('keys.revoked', (m) => void b.push(m));
      const before = Date.now();
      await hub.forModule('auth').publish('keys.revoked', { id: 'k1', at: new Date(0) });
      await hub.forModule('auth').publish('keys.revoked', { id: 'k2' });
      await waitFor(() => a.length === 2 && b.length === 2, 'both subscribers');
      expect(a.map((m) => m.payload)).toEqual([{ id: 'k1', at: '1970-01-01T00:00:00.000Z' }, { id: 'k2' }]);
      expect(b.map((m) => m.payload)).toEqual(a.map((m) => m.payload));
      expect(a[0]).toMatchObject({ topic: 'keys.revoked', source: 'auth' });
      expect(a[0].time).toBeGreaterThanOrEqual(before - 5);
      expect(a[0].id).not.toBe(a[1].id);
      expect(b[0].id).toBe(a[0].id);
    });

    it('delivers only what is published after subscribe resolves', async () => {
      const { hub } = await setup();
      await hub.forModule('auth').publish('t.old', 'before');
      const got: unknown[] = [];
      await hub.forModule('x').subscribe('t.old', (m) => void got.push(m.payload));
      await hub.forModule('auth').publish('t.old', 'after');
      await waitFor(() => got.length >= 1, 'the new message');
      await sleep(100);
      expect(got).toEqual(['after']);
    });

    it('logs a failing handler and keeps delivering to it and to the others, in order', async () => {
      const { hub, lines } = await setup();
      const good: number[] = [];
      const flaky: number[] = [];
      await hub.forModule('bad').subscribe<number>('n', async (m) => {
        flaky.push(m.payload);
        await sleep(5);
        if (m.payload === 1) throw new Error('boom');
      });
      await hub.forModule('good').subscribe<number>('n', (m) => void good.push(m.payload));
      for (let i = 1; i <= 3; i++) await hub.forModule('src').publish('n', i);
      await waitFor(() => good.length === 3 && flaky.length === 3, 'all deliveries');
      expect(good).toEqual([1, 2, 3]);
      expect(flaky).toEqual([1, 2, 3]);
      await waitFor(() => lines.length > 0, 'the error log');
      expect(lines[0]).toMatchObject({ msg: 'Event handler failed', module: 'bad', topic: 'n' });
      expect((lines[0].err as { message: string }).message).toBe('boom');
    });

    it('hands each queued message to one member of a group, and all of them to every group', async () => {
      const { hub } = await setup();
      const first: number[] = [];
      const second: number[] = [];
      const other: number[] = [];
      await hub.forModule('billing').subscribe<number>('usage', (m) => void first.push(m.payload), { mode: 'queue' });
      await hub.forModule('billing').subscribe<number>('usage', (m) => void second.push(m.payload), { mode: 'queue' });
      await hub.forModule('stats').subscribe<number>('usage', (m) => void other.push(m.payload), { mode: 'queue' });
      for (let i = 0; i < 10; i++) await hub.forModule('inference').publish('usage', i);
      await waitFor(() => first.length + second.length === 10 && other.length === 10, 'queue deliveries');
      await sleep(100);
      expect([...first, ...second].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(other).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('keeps what a group missed while it had no subscriber', async () => {
      const { hub } = await setup();
      const got: string[] = [];
      const unsubscribe = await hub.forModule('mailer').subscribe<string>('mail', (m) => void got.push(m.payload), { mode: 'queue', group: 'senders' });
      await unsubscribe();
      await hub.forModule('auth').publish('mail', 'while-down');
      await hub.forModule('x').subscribe<string>('mail', (m) => void got.push(m.payload), { mode: 'queue', group: 'senders' });
      await waitFor(() => got.length === 1, 'the missed message');
      expect(got).toEqual(['while-down']);
    });

    it('stops delivering after unsubscribe and after close', async () => {
      const { hub } = await setup();
      const got: string[] = [];
      const unsubscribe = await hub.forModule('m').subscribe<string>('s', (m) => void got.push(m.payload));
      await hub.forModule('m').subscribe<string>('s2', (m) => void got.push(m.payload), { mode: 'queue' });
      await hub.forModule('m').publish('s', 'one');
      await waitFor(() => got.length === 1, 'first message');
      const started = Date.now();
      await unsubscribe();
      await unsubscribe();
      await hub.forModule('m').publish('s', 'two');
      await hub.close();
      // Disconnecting interrupts blocked reads: stopping takes far less than the block timeout.
      expect(Date.now() - started).toBeLessThan(900);
      await expect(hub.forModule('m').publish('s2', 'three')).rejects.toThrow(/closed/);
      await sleep(150);
      expect(got).toEqual(['one']);
    });

    it('hands a burst larger than a read batch to a slow subscriber whole and in order, without holding up other topics', async () => {
      const { hub } = await setup();
      const slow: number[] = [];
      const other: string[] = [];
      await hub.forModule('slow').subscribe<number>('burst', async (m) => {
        await sleep(1);
        slow.push(m.payload);
      });
      await hub.forModule('fast').subscribe<string>('ping', (m) => void other.push(m.payload));
      const sent = Array.from({ length: 250 }, (_, i) => i);
      await Promise.all(sent.map((i) => hub.forModule('src').publish('burst', i)));
      await hub.forModule('src').publish('ping', 'pong');
      await waitFor(() => other.length === 1, 'the other topic');
      expect(slow.length).toBeLessThan(sent.length);
      await waitFor(() => slow.length === sent.length, 'the whole burst');
      expect(slow).toEqual(sent);
    });

    it('rejects topics that cannot be stream keys', async () => {
      const { hub } = await setup();
      await expect(hub.forModule('m').publish('has space', 1)).rejects.toThrow(/topic 'has space'/);
      await expect(hub.forModule('m').subscribe('', () => {})).rejects.toThrow(/topic/);
    });
  });
}

contract('event hub (embedded, in process)', () => 'memory://');

// Runs only where a Redis server is provided (CI and dev machines set the variable; see DEVELOPERS.md).
const redisUrl = process.env.SCAIGRID_TEST_REDIS_URL;
describe.runIf(Boolean(redisUrl))('Redis Streams', () => {
  contract('event hub (Redis Streams)', () => redisUrl!);

  const subscriberScript = fileURLToPath(new URL('./fixtures/event-subscriber.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
  const children = new Set<ChildProcess>();

  interface Subscriber {
    messages: EventMessage[];
    exited: Promise<number | null>;
    child: ChildProcess;
  }

  // A subscriber in another OS process, so that delivery really crosses processes.
  async function spawnSubscriber(env: Record<string, string>): Promise<Subscriber> {
    const child = spawn(process.execPath, ['--import', 'tsx', subscriberScript], {
      cwd: repoRoot,
      env: { ...process.env, REDIS_URL: redisUrl!, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const messages: EventMessage[] = [];
    let ready = false;
    let stderr = '';
    let buffer = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (line.ready) ready = true;
        else messages.push(line);
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { children.delete(child); resolve(code); }));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));
    await waitFor(() => ready || exitCode !== undefined, 'the subscriber process', 20_000);
    if (!ready) throw new Error(`Subscriber process exited (${exitCode}): ${stderr}`);
    return { messages, exited, child };
  }

  async function stopSubscriber(subscriber: Subscriber, signal: NodeJS.Signals = 'SIGTERM') {
    subscriber.child.kill(signal);
    await subscriber.exited;
  }

  let namespace = '';
  let redis: RedisStore | null = null;
  let hub: EventHub | null = null;
  const publisher = async () => {
    namespace ||= uniqueNamespace();
    redis ??= await openRedis(redisUrl!, { namespace });
    hub ??= createEventHub({ redis, instanceId: 'publisher', log: pino({ level: 'silent' }) });
    return hub.forModule('publisher');
  };
  afterEach(async () => {
    for (const child of children) child.kill('SIGKILL');
    await hub?.close();
    if (redis) {
      const raw = redis.connect();
      const keys = await raw.keys(`${namespace}:*`);
      if (keys.length > 0) await raw.del(...keys);
      raw.disconnect();
      await redis.close();
    }
    redis = null;
    hub = null;
    namespace = '';
  });

  it('reads all broadcast subscriptions of a process over one connection, and reads a new one at once', async () => {
    await publisher();
    const events = hub!;
    const got: string[] = [];
    for (const topic of ['t1', 't2', 't3', 't4', 't5']) await events.forModule('m').subscribe<string>(topic, (m) => void got.push(m.payload));
    const raw = redis!.connect();
    const clients = String(await raw.client('LIST')).split('\n').filter((line) => line.includes(`name=${namespace}:events-reader `));
    raw.disconnect();
    expect(clients).toHaveLength(1);

    // The reader is blocked on t1..t5 by now; a sixth topic must not wait for the block to time out.
    await sleep(100);
    await events.forModule('m').subscribe<string>('t6', (m) => void got.push(m.payload));
    const published = Date.now();
    await events.forModule('x').publish('t6', 'six');
    await waitFor(() => got.includes('six'), 'the message on the new topic');
    expect(Date.now() - published).toBeLessThan(500);
    for (const topic of ['t1', 't2', 't3', 't4', 't5']) await events.forModule('x').publish(topic, topic);
    await waitFor(() => got.length === 6, 'a message on every topic');
    expect(got.slice(1).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });

  it('delivers a publish to a broadcast subscriber in another process', async () => {
    const bus = await publisher();
    const subscriber = await spawnSubscriber({ NAMESPACE: namespace, TOPIC: 'models.changed', MODE: 'broadcast', INSTANCE_ID: 'child-1' });
    await bus.publish('models.changed', { model: 'gpt-x' });
    await waitFor(() => subscriber.messages.length === 1, 'the child to receive the message');
    expect(subscriber.messages[0]).toMatchObject({ topic: 'models.changed', payload: { model: 'gpt-x' }, source: 'publisher' });
    await stopSubscriber(subscriber);
  });

  it('gives a queue subscriber that was down what was published meanwhile', async () => {
    const bus = await publisher();
    const env = { NAMESPACE: namespace, TOPIC: 'usage.recorded', MODE: 'queue', GROUP: 'billing', INSTANCE_ID: 'worker-a' };
    const first = await spawnSubscriber(env);
    await bus.publish('usage.recorded', { n: 1 });
    await waitFor(() => first.messages.length === 1, 'the first message');
    await stopSubscriber(first, 'SIGKILL');

    await bus.publish('usage.recorded', { n: 2 });
    await bus.publish('usage.recorded', { n: 3 });
    // A new process with a new consumer name: the group, not the consumer, remembers the position.
    const second = await spawnSubscriber({ ...env, INSTANCE_ID: 'worker-b' });
    await waitFor(() => second.messages.length === 2, 'the messages published while down');
    expect(second.messages.map((m) => m.payload)).toEqual([{ n: 2 }, { n: 3 }]);
    await stopSubscriber(second);
  });

  it('redelivers a message whose handler crashed before acknowledging, when the consumer restarts', async () => {
    const bus = await publisher();
    const env = { NAMESPACE: namespace, TOPIC: 'jobs', MODE: 'queue', GROUP: 'runners', INSTANCE_ID: 'runner-1' };
    const crashing = await spawnSubscriber({ ...env, CRASH_ON: '1' });
    await bus.publish('jobs', { crash: true, job: 7 });
    expect(await crashing.exited).toBe(3);

    const restarted = await spawnSubscriber(env);
    await waitFor(() => restarted.messages.length === 1, 'the redelivered message');
    expect(restarted.messages[0].payload).toEqual({ crash: true, job: 7 });
    await stopSubscriber(restarted);
    // Acknowledged now: nothing is left pending for the group.
    const raw = redis!.connect();
    const pending = (await raw.xpending(`${namespace}:events:jobs`, 'runners')) as [number, ...unknown[]];
    raw.disconnect();
    expect(pending[0]).toBe(0);
  });
});
