import RedisMock from 'ioredis-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpirySweeper } from '../../src/stores/embedded-expiry.js';
import { runScriptsIn } from '../../src/stores/embedded-scripts.js';
import { openRedis } from '../../src/stores/redis.js';

// What the mock holds for a key, read without the lazy deletion a command would do on the way.
interface RawView {
  expires: { has(key: string): boolean };
}
const stillHeld = (client: unknown, key: string) => (client as RawView).expires.has(key);

const START = Date.UTC(2026, 10, 29, 12, 0, 0, 300);
let hosts = 0;

describe('ExpirySweeper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
  });
  afterEach(() => vi.useRealTimers());

  const tracked = (sweeper: ExpirySweeper) => sweeper.track(runScriptsIn()(new RedisMock({ host: `expiry-test-${++hosts}`, keyPrefix: 'sg:' })));

  it('deletes keys nobody touches again once their time is up, set by commands and by scripts', async () => {
    const sweeper = new ExpirySweeper();
    const client = tracked(sweeper);
    await client.set('plain', '1', 'PX', 1500);
    await client.eval("return redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1])", 1, 'marker', '1500');
    await client.set('forever', '1');

    vi.setSystemTime(START + 1000);
    expect(sweeper.sweep()).toBe(0);
    expect(stillHeld(client, 'plain') && stillHeld(client, 'marker')).toBe(true);

    vi.setSystemTime(START + 2000);
    expect(sweeper.sweep()).toBe(2);
    expect(stillHeld(client, 'plain')).toBe(false);
    expect(stillHeld(client, 'marker')).toBe(false);
    expect(await client.get('forever')).toBe('1');
  });

  it('keeps a key whose deadline was moved on until the new one, and one whose expiry was removed', async () => {
    const sweeper = new ExpirySweeper();
    const client = tracked(sweeper);
    await client.set('extended', '1', 'PX', 1000);
    await client.set('persisted', '1', 'PX', 1000);
    vi.setSystemTime(START + 500);
    await client.pexpire('extended', 3000);
    await client.set('persisted', '2');

    vi.setSystemTime(START + 2000);
    expect(sweeper.sweep()).toBe(0);
    expect(stillHeld(client, 'extended')).toBe(true);
    expect(await client.get('persisted')).toBe('2');

    vi.setSystemTime(START + 4000);
    expect(sweeper.sweep()).toBe(1);
    expect(stillHeld(client, 'extended')).toBe(false);
  });

  it('deletes a key at a shortened deadline', async () => {
    const sweeper = new ExpirySweeper();
    const client = tracked(sweeper);
    await client.set('shortened', '1', 'PX', 60_000);
    await client.pexpire('shortened', 1000);
    vi.setSystemTime(START + 2000);
    expect(sweeper.sweep()).toBe(1);
    expect(stillHeld(client, 'shortened')).toBe(false);
  });

  it('catches up on every second since the last sweep', async () => {
    const sweeper = new ExpirySweeper();
    const client = tracked(sweeper);
    for (let i = 1; i <= 5; i++) await client.set(`k${i}`, '1', 'PX', i * 1000);
    vi.setSystemTime(START + 10_000);
    expect(sweeper.sweep()).toBe(5);
    expect(sweeper.sweep()).toBe(0);
  });
});

describe('openRedis memory:// expiry', () => {
  afterEach(() => vi.useRealTimers());

  it('sweeps expired keys of every client of the store in the background', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(START);
    const store = await openRedis('memory://');
    const client = store.client('accounting');
    await client.set('settled:one', '1', 'PX', 1000);
    await store.client('other').set('k', '1', 'PX', 1000);
    expect(stillHeld(client, 'settled:one')).toBe(true);

    vi.advanceTimersByTime(3000);
    expect(stillHeld(client, 'settled:one')).toBe(false);
    expect(stillHeld(store.client('other'), 'k')).toBe(false);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
