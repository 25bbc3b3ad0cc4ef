/**
 * @module bench/load
 * The load generator: autocannon (from npm, so a fresh clone needs nothing from apt) at a
 * fixed number of keep-alive connections for a fixed time. autocannon's own histogram rounds
 * latencies to whole milliseconds, too coarse for sub-millisecond overheads, so every
 * response time (a float in ms from process.hrtime) is collected here and percentiles are
 * exact. Also a time-to-first-byte probe for streams: sequential requests over node:http,
 * timing from sending the request to the first body byte.
 */
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { monotonicUs } from './clock.js';

export interface Target {
  url: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx answers by status, and socket errors and timeouts, to say why requests failed. */
  failures: Record<string, number>;
  /** The answers of the lead-in (`LoadOptions.leadInSeconds`), which the figures above leave out. */
  leadIn?: { ok: number; p99: number };
}

export interface LoadOptions<T> {
  /**
   * Seconds of the same load before the measured `seconds`, on the same connections, whose
   * answers count only in `leadIn` (failures count in `failed` all the same). A target that sat
   * idle through the other targets' rounds is slower for its first few hundred milliseconds
   * (bench/README.md, "Right after idling"): in probes of ScaiGrid at 16 connections, 10-80 % of
   * a burst's slowest 1 % came from its first half second.
   */
  leadInSeconds?: number;
  /**
   * Read when the measured part starts (CPU time and other counters), and given back as the
   * result's `atStart`: what the run cost is the counters at its end less this.
   */
  atStart?: () => T;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/**
 * Runs autocannon and resolves with throughput and exact latency percentiles of 2xx answers,
 * over `seconds` after the lead-in (none unless `options.leadInSeconds` is given).
 */
export function runLoad<T = undefined>(target: Target, body: string, connections: number, seconds: number, options: LoadOptions<T> = {}): Promise<LoadResult & { atStart: T }> {
  const leadInSeconds = options.leadInSeconds ?? 0;
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const leadIn: number[] = [];
  let measuring = false;
  let measuredFrom = 0;
  let atStart = undefined as T;
  const startMeasuring = () => {
    measuring = true;
    measuredFrom = performance.now();
    if (options.atStart) atStart = options.atStart();
  };
  const leadInTimer = leadInSeconds > 0 ? setTimeout(startMeasuring, leadInSeconds * 1000) : undefined;
  if (!leadInTimer) startMeasuring();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body,
        connections,
        duration: leadInSeconds + seconds,
        pipelining: 1,
        timeout: 30,
      },
      (err, result) => {
        clearTimeout(leadInTimer);
        if (err) return reject(err);
        // autocannon's own duration when the whole run is measured, as before lead-ins.
        const measuredSeconds = leadInSeconds <= 0 ? result.duration : measuring ? (performance.now() - measuredFrom) / 1000 : 0;
        const sorted = latencies.subarray(0, count).sort();
        const requests = count + failed + result.errors;
        resolve({
          requests,
          ok: count,
          failed: failed + result.errors + result.timeouts,
          seconds: measuredSeconds,
          rps: count / measuredSeconds,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          failures: { ...failures, ...(result.errors > 0 ? { errors: result.errors } : {}), ...(result.timeouts > 0 ? { timeouts: result.timeouts } : {}) },
          ...(leadInSeconds > 0 ? { leadIn: { ok: leadIn.length, p99: percentile(leadIn.sort((a, b) => a - b), 99) } } : {}),
          atStart,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode < 200 || statusCode >= 300) {
        failed++;
        failures[statusCode] = (failures[statusCode] ?? 0) + 1;
        return;
      }
      if (!measuring) {
        leadIn.push(responseTime);
        return;
      }
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
  });
}

const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * Milliseconds from sending a streaming request to the first body byte, and to the end; the
 * whole body is read so that the connection is reused like a real client's.
 */
export function streamTiming(target: Target, body: string): Promise<{ ttfb: number; total: number; status: number; text: string; sentUs: number; firstByteUs: number }> {
  const url = new URL(target.url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // The same instants on the machine's monotonic clock, to line up with the mock's stamps.
    const sentUs = monotonicUs();
    let firstByteUs = 0;
    let ttfb = 0;
    let text = '';
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: probeAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (ttfb === 0) {
            ttfb = performance.now() - started;
            firstByteUs = monotonicUs();
          }
          text += d;
        });
        res.on('end', () => resolve({ ttfb, total: performance.now() - started, status: res.statusCode ?? 0, text, sentUs, firstByteUs }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts a stream, waits for its first byte, then drops the connection like a client that
 * went away; resolves when the socket is closed.
 */
export function abandonStream(target: Target, body: string): Promise<number> {
  const url = new URL(target.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...target.headers } },
      (res) => {
        res.once('data', () => {
          req.destroy();
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end(body);
  });
}

export function closeProbes(): void {
  probeAgent.destroy();
}
