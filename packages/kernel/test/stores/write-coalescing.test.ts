/**
 * The shared Redis clients' write coalescing: while the connection is busy, the writes of one
 * event-loop turn leave as one writev in the check phase; an idle connection writes at once.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { atTurnFlush, coalesceWritesPerTurn } from '../../src/stores/write-coalescing.js';
import { spyWrites } from '../helpers/socket-writes.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A loopback connection whose server side collects what arrives. */
async function connection(): Promise<{ client: Socket; received: () => string }> {
  let received = '';
  server = createServer((s) => {
    sockets.push(s);
    s.setEncoding('utf8').on('data', (d: string) => (received += d));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  sockets.push(client);
  await new Promise((resolve) => client.once('connect', resolve));
  return { client, received: () => received };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

it('sends the writes of one busy turn as one writev, in order, in the check phase', async () => {
  const { client, received } = await connection();
  coalesceWritesPerTurn(client, () => true);
  const counts = spyWrites(client);
  client.write('a');
  client.write('b');
  client.write('c');
  expect(client.writableCorked).toBe(1);
  expect(counts).toEqual({ write: 0, writev: 0 });
  await turn();
  expect(client.writableCorked).toBe(0);
  expect(counts).toEqual({ write: 0, writev: 1 });
  await until(() => received() === 'abc');
  expect(received()).toBe('abc');
});

it('writes at once while the connection is idle', async () => {
  const { client, received } = await connection();
  coalesceWritesPerTurn(client, () => false);
  const counts = spyWrites(client);
  client.write('a');
  expect(client.writableCorked).toBe(0);
  expect(counts).toEqual({ write: 1, writev: 0 });
  await until(() => received() === 'a');
  expect(received()).toBe('a');
});

it('wraps a socket once, however often it is asked to', async () => {
  const { client, received } = await connection();
  coalesceWritesPerTurn(client, () => true);
  coalesceWritesPerTurn(client, () => true);
  client.write('x');
  // Corked once: a second wrapper would have corked twice and one uncork would not flush.
  expect(client.writableCorked).toBe(1);
  await turn();
  await until(() => received() === 'x');
  expect(received()).toBe('x');
});

it("runs a turn's flush writer just before the flush: what it writes leaves in the turn's one writev, after the turn's writes", async () => {
  const { client, received } = await connection();
  coalesceWritesPerTurn(client, () => true);
  const counts = spyWrites(client);
  client.write('a');
  expect(atTurnFlush(client, () => client.write('[batch]'))).toBe(true);
  client.write('b');
  await turn();
  expect(counts).toEqual({ write: 0, writev: 1 });
  await until(() => received() === 'ab[batch]');
  expect(received()).toBe('ab[batch]');
});

it('holds a busy turn for a flush writer even before anything was written', async () => {
  const { client, received } = await connection();
  coalesceWritesPerTurn(client, () => true);
  const counts = spyWrites(client);
  expect(atTurnFlush(client, () => client.write('x'))).toBe(true);
  expect(client.writableCorked).toBe(1);
  client.write('y');
  await turn();
  expect(counts).toEqual({ write: 0, writev: 1 });
  await until(() => received() === 'yx');
  expect(received()).toBe('yx');
});

it('declines a flush writer on an idle connection, or on a socket that does not coalesce: the caller writes at once', async () => {
  const idle = await connection();
  coalesceWritesPerTurn(idle.client, () => false);
  let ran = false;
  expect(atTurnFlush(idle.client, () => (ran = true))).toBe(false);
  expect(idle.client.writableCorked).toBe(0);
  expect(atTurnFlush(undefined, () => (ran = true))).toBe(false);
  await turn();
  expect(ran).toBe(false);
});
