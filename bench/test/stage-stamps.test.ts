/**
 * The stage-stamps preload (bench/stage-stamps.cjs) in a real process: a proxy built from
 * node:http and undici, started with the preload, serves one request; on SIGUSR2 the
 * stamps come out in the order a request goes through those stages.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const bench = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'sg-stage-stamps-'));
const upstream = createServer((req, res) => req.resume().on('end', () => res.end('from upstream')));
await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
const origin = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((done) => upstream.close(done));
});

// A proxy in front of the upstream this test runs (a server of its own would be stamped too):
// it answers with the upstream's text.
const PROXY = `
const http = require('node:http');
const { request } = require('undici');
const proxy = http.createServer(async (req, res) => {
  const answer = await request(process.env.UPSTREAM + '/', { method: 'POST', body: '{"a":1}' });
  res.end(await answer.body.text());
});
proxy.listen(0, '127.0.0.1', () => process.stdout.write('listening ' + proxy.address().port + '\\n'));
`;

it('stamps a request from its arrival to its answer on the socket, in order', async () => {
  const out = join(dir, 'stamps.json');
  const child = spawn(process.execPath, ['--require', join(bench, 'stage-stamps.cjs'), '-e', PROXY], { cwd: bench, env: { ...process.env, SCAIGRID_STAGES_OUT: out, UPSTREAM: origin }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((done, fail) => {
      let text = '';
      child.stdout!.on('data', (d) => {
        text += String(d);
        const m = /listening (\d+)/.exec(text);
        if (m) done(Number(m[1]));
      });
      child.once('exit', (code) => fail(new Error(`proxy exited with ${code}`)));
    });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe('from upstream');
    child.kill('SIGUSR2');
    let stamps: Record<string, number>[] | undefined;
    for (let i = 0; i < 100 && !stamps; i++) {
      try {
        stamps = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>[];
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(stamps).toHaveLength(1);
    const s = stamps![0]!;
    const order = ['requestStart', 'upstreamCreate', 'upstreamHeadSent', 'upstreamBodySent', 'upstreamHead', 'firstWrite', 'socketWrite'];
    for (const name of order) expect(s[name], name).toBeTypeOf('number');
    for (let i = 1; i < order.length; i++) expect(s[order[i]!]!, `${order[i - 1]} ≤ ${order[i]}`).toBeGreaterThanOrEqual(s[order[i - 1]!]!);
  } finally {
    child.kill('SIGKILL');
  }
});
