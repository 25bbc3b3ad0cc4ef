import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuMicros, MODELS, newApiKey, startGateway, startMock, cleanRedis } from './gateway.js';
import { runLoad } from './load.js';
spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
const io = (pid: number) => Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => { const [k, v] = l.split(': '); return [k, Number(v)]; }));
const ctx = (pid: number) => { const s = readFileSync(`/proc/${pid}/status`, 'utf8'); return Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(s)![1]); };
const mock = await startMock(true);
const apiKey = newApiKey();
const base = '/work/base';
const gws = {
  this: await startGateway({ upstreamPort: mock.port, apiKey, cpu: 0, env: { SCAIGRID_REDIS_NAMESPACE: 'sgbenchprobea' }, nodeFlags: ['--trace-gc'] }),
  base: await startGateway({ upstreamPort: mock.port, apiKey, cpu: 0, cwd: base, serverScript: join(base, 'packages/server/scripts/start.mjs'), env: { SCAIGRID_REDIS_NAMESPACE: 'sgbenchprobeb' }, nodeFlags: ['--trace-gc'] }),
};
const conns = Number(process.argv[2] ?? 16);
const body = JSON.stringify({ model: MODELS.fast, messages: [{ role: 'user', content: 'Write one sentence about a fox.' }], max_tokens: 64 });
for (const g of Object.values(gws)) await runLoad({ url: `${g.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } }, body, conns, 2);
for (let r = 0; r < 3; r++) for (const [name, g] of Object.entries(gws)) {
  const o0 = g.output().length;
  const i0 = io(g.pid); const c0 = cpuMicros(g.pid); const v0 = ctx(g.pid);
  const perf = spawn('perf', ['stat', '-x', ',', '-e', 'syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_epoll_wait,context-switches', '-p', String(g.pid), '--', 'sleep', '3'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let perfOut = ''; perf.stderr!.on('data', (d) => (perfOut += d));
  const l = await runLoad({ url: `${g.url}/oai/v1/chat/completions`, headers: { authorization: `Bearer ${apiKey}` } }, body, conns, 3);
  const i1 = io(g.pid); const c = cpuMicros(g.pid) - c0; const v = ctx(g.pid) - v0;
  await new Promise((r) => perf.once('exit', r)); console.log(name, perfOut.trim().split('\n').map((x) => x.split(',').slice(0, 3).join(' ')).join(' | '));
  const gc = g.output().slice(o0); let sc = 0, scMs = 0, ms = 0, msMs = 0; for (const m of gc.matchAll(/(Scavenge|Mark-Compact|Mark-sweep)[^\n]*?, ([\d.]+) \/ [\d.]+ ms/g)) { if (m[1] === 'Scavenge') { sc++; scMs += Number(m[2]); } else { ms++; msMs += Number(m[2]); } }
  console.log(name, 'scavenges', sc, 'ms', scMs.toFixed(0), 'major', ms, 'ms', msMs.toFixed(0), 'reqs', l.requests);
  console.log(name, 'cpu/req', (c / l.requests).toFixed(0), 'syscr', ((i1.syscr - i0.syscr) / l.requests).toFixed(2), 'syscw', ((i1.syscw - i0.syscw) / l.requests).toFixed(2), 'vol ctxsw/req', (v / l.requests).toFixed(2), 'p50', l.p50.toFixed(2));
}
for (const g of Object.values(gws)) await g.stop();
mock.stop(); await cleanRedis('sgbenchprobea'); await cleanRedis('sgbenchprobeb'); process.exit(0);
