/**
 * @module fake-http
 * The shared machinery of the fake upstream servers: a node:http server on 127.0.0.1 port 0
 * that records every request (method, path, headers, parsed JSON body), serves scripted
 * replies in order, writes SSE streams event by event with an optional delay, can cut the
 * connection after N events, and notices when the client goes away first. Provider fakes
 * (fake-openai.ts, fake-anthropic.ts) add only their wire format on top.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path with query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. Loosely typed so tests can reach into it. */
  body: any;
  /** Set when the client closed the connection before the reply was complete. */
  aborted: boolean;
}

/** Timing and failure knobs every scripted answer accepts. */
export interface ReplyTiming {
  /** Wait before sending the status line. */
  delayMs?: number;
  /** Wait between stream events. */
  chunkDelayMs?: number;
  /** Streams: destroy the socket after this many SSE events (0: right after the head). Non-stream: 0 destroys it before any byte. */
  dropAfterChunks?: number;
  /** Streams: the head goes out at once, the first event only once this settles (a model thinking before its first token). */
  firstChunkAfter?: Promise<unknown>;
}

export type Scripted<R> = R | ((request: RecordedRequest) => R);

export interface FakeServer<R> {
  /** The base URL to configure as the provider's `baseUrl`. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Queues replies for the next requests (first in, first out); when empty, the default reply is used. */
  script(...replies: Scripted<R>[]): void;
  /** Resolves when request `index` (default: the latest) was closed early by the client. */
  waitForAbort(index?: number, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export type FakeHandler<R> = (request: RecordedRequest, reply: R | undefined, res: ServerResponse) => Promise<void>;

/** Starts a fake on 127.0.0.1:0; `basePath` is appended to the origin in `url` (e.g. `/v1`). */
export async function startFakeServer<R>(handler: FakeHandler<R>, basePath = ''): Promise<FakeServer<R>> {
  const requests: RecordedRequest[] = [];
  const queue: Scripted<R>[] = [];
  const sockets = new Set<Socket>();

  const server = createServer(async (req, res) => {
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: undefined, aborted: false };
    recorded.body = await readBody(req);
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished && !(res as DroppableResponse).droppedOnPurpose) recorded.aborted = true;
    });
    const next = queue.shift();
    const reply = typeof next === 'function' ? (next as (r: RecordedRequest) => R)(recorded) : next;
    try {
      await handler(recorded, reply, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake server error: ${(err as Error).message}`);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    script(...replies) {
      queue.push(...replies);
    },
    async waitForAbort(index, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const request = requests[index ?? requests.length - 1];
        if (request?.aborted) return request;
        if (Date.now() > deadline) throw new Error(`fake upstream: request ${index ?? requests.length - 1} was not aborted within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type DroppableResponse = ServerResponse & { droppedOnPurpose?: boolean };

/** Destroys the connection without finishing the response: what a crashing upstream looks like. */
export function dropConnection(res: ServerResponse): void {
  (res as DroppableResponse).droppedOnPurpose = true;
  res.socket?.destroy();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** One SSE event in the wire format (`event:` line only when named). */
export function sseEvent(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${data}\n\n`;
}

/**
 * Writes SSE events one at a time (each flushed before the next), honouring chunkDelayMs and
 * dropAfterChunks; stops early if the client went away.
 */
export async function writeSseStream(res: ServerResponse, events: string[], timing: ReplyTiming, headers: Record<string, string> = {}): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
  res.flushHeaders();
  if (timing.firstChunkAfter) await timing.firstChunkAfter;
  for (let i = 0; i < events.length; i++) {
    if (timing.dropAfterChunks !== undefined && i >= timing.dropAfterChunks) return dropConnection(res);
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(events[i], () => resolve()));
    if (timing.chunkDelayMs) await sleep(timing.chunkDelayMs);
  }
  // Dropping after the very last event still omits the clean end of the response.
  if (timing.dropAfterChunks === events.length) return dropConnection(res);
  res.end();
}

/** Splits text the way models stream it: a word and its trailing space per piece. */
export function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Splits a string into fixed-size slices (tool-call arguments arrive in such fragments). */
export function slices(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** A crude, deterministic token count (about four characters a token). */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Random id suffix in the providers' style. */
export function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isHang(reply: unknown): reply is { hang: true } {
  return typeof reply === 'object' && reply !== null && (reply as { hang?: unknown }).hang === true;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
