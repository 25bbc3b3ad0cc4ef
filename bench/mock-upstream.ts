/**
 * @module bench/mock-upstream
 * The upstream the benchmark calls, directly and through ScaiGrid: a minimal OpenAI-compatible
 * `POST /v1/chat/completions` on plain node:http, so its own cost stays tiny and constant.
 * Without `stream` it answers one fixed `chat.completion` with usage; with `stream: true` it
 * sends 20 `chat.completion.chunk` SSE events, a usage chunk when
 * `stream_options.include_usage` is set, then `data: [DONE]` (OpenAI API reference, "Create
 * chat completion" and "The chat completion chunk object"). A model id ending in `-delay-<ms>`
 * waits that long before each content chunk. It counts requests, completed and aborted
 * streams, and reports them at `GET /stats`, so the bench can prove traffic reached it and
 * that a client leaving ScaiGrid aborted the upstream stream. A stream whose last message
 * contains `probe:<id>` is timed: when its request had arrived whole and when its first event
 * was written, on the machine's monotonic clock (µs), read once at `GET /stamps/<id>`; with
 * the client's own times they split a first byte into the way in, the upstream's wait and the
 * way out.
 *
 * @example
 * node --import tsx bench/mock-upstream.ts   # prints `listening <port>` on stdout
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { monotonicUs } from './clock.js';

const CHUNKS = 20;
const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.'];

export interface MockStats {
  requests: number;
  streamsCompleted: number;
  streamsAborted: number;
}

const stats: MockStats = { requests: 0, streamsCompleted: 0, streamsAborted: 0 };

/** When a probe's request had arrived whole, and when its first event was written (µs, CLOCK_MONOTONIC, shared by every process). */
export interface ProbeStamps {
  receivedUs: number;
  firstEventUs: number;
}
const stamps = new Map<string, ProbeStamps>();

/** The `probe:<id>` in the last message's content, if any: only the bench's first-byte probes carry one. */
function probeIdOf(body: { messages?: { content?: unknown }[] }): string | undefined {
  const content = body.messages?.at(-1)?.content;
  return typeof content === 'string' ? /\bprobe:(\w+)/.exec(content)?.[1] : undefined;
}

/** The fixed answer, built once per model name (the model is echoed like OpenAI does). */
const completionCache = new Map<string, string>();
function completionBody(model: string): string {
  let body = completionCache.get(model);
  if (!body) {
    body = JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join('').repeat(2) }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS },
    });
    completionCache.set(model, body);
  }
  return body;
}

function chunkEvent(model: string, delta: Record<string, unknown>, finish: string | null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
}

function delayOf(model: string): number {
  const match = /-delay-(\d+)$/.exec(model);
  return match ? Number(match[1]) : 0;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function stream(res: ServerResponse, model: string, includeUsage: boolean, probe?: { id: string; receivedUs: number }): Promise<void> {
  const delay = delayOf(model);
  // The request object is destroyed once its body is read; only the response tells that the
  // client (ScaiGrid, or the bench directly) went away.
  let closed = false;
  res.on('close', () => {
    if (!res.writableFinished) closed = true;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (let i = 0; i < CHUNKS; i++) {
    if (delay > 0) await sleep(delay);
    if (closed) break;
    const delta = i === 0 ? { role: 'assistant', content: WORDS[0] } : { content: WORDS[i % WORDS.length] };
    res.write(chunkEvent(model, delta, null));
    if (i === 0 && probe) stamps.set(probe.id, { receivedUs: probe.receivedUs, firstEventUs: monotonicUs() });
  }
  if (closed || res.destroyed) {
    stats.streamsAborted++;
    return;
  }
  res.write(chunkEvent(model, {}, 'stop'));
  if (includeUsage) {
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS } })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
  stats.streamsCompleted++;
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const receivedUs = monotonicUs();
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.method === 'GET' && req.url?.startsWith('/stamps/')) {
    const id = req.url.slice('/stamps/'.length);
    const found = stamps.get(id);
    stamps.delete(id);
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(found ?? { error: 'no such probe' }));
    return;
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error"}}');
    return;
  }
  stats.requests++;
  let body: { model?: string; stream?: boolean; stream_options?: { include_usage?: boolean }; messages?: { content?: unknown }[] };
  try {
    body = JSON.parse(raw);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"invalid JSON","type":"invalid_request_error"}}');
    return;
  }
  const model = body.model ?? 'mock';
  if (body.stream) {
    const probe = probeIdOf(body);
    void stream(res, model, body.stream_options?.include_usage === true, probe === undefined ? undefined : { id: probe, receivedUs });
    return;
  }
  const payload = completionBody(model);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }).end(payload);
}

/** Starts the mock on 127.0.0.1 (port 0 picks a free one) and resolves with the port. */
export function startMockUpstream(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => handle(req, res, raw));
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { port } = await startMockUpstream(Number(process.env.MOCK_PORT ?? 0));
  process.stdout.write(`listening ${port}\n`);
}
