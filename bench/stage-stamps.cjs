/**
 * @module bench/stage-stamps
 * A preload (`node --require bench/stage-stamps.cjs …`) that stamps where each request to a
 * proxy is, on CLOCK_MONOTONIC µs (the clock of the bench and the mock): Node's
 * `http.server.request.start`, undici's `request:create`, `client:sendHeaders`,
 * `request:bodySent` and `request:headers` (diagnostics channels both publish), the first
 * `ServerResponse.write` and the socket write that first carries the answer. It watches one
 * request at a time: an upstream call is counted to the request that came last, so it is for
 * sequential probes (`first-byte-stages.ts`), not for load. On SIGUSR2 it writes the stamps
 * so far as JSON to `$SCAIGRID_STAGES_OUT` and forgets them. It needs nothing from the
 * proxy, so the gateway and the floor proxy are stamped alike.
 */
const channels = require('node:diagnostics_channel');
const http = require('node:http');
const net = require('node:net');
const { writeFileSync } = require('node:fs');

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const STAMPS = Symbol('scaigrid.stageStamps');
/** The stamps of every request since the last dump, and the request stamped last. */
let requests = [];
let current;

const once = (name) => () => {
  if (current && current[name] === undefined) current[name] = nowUs();
};

channels.subscribe('http.server.request.start', ({ response }) => {
  current = { requestStart: nowUs() };
  requests.push(current);
  response[STAMPS] = current;
});
channels.subscribe('undici:request:create', once('upstreamCreate'));
channels.subscribe('undici:client:sendHeaders', once('upstreamHeadSent'));
channels.subscribe('undici:request:bodySent', once('upstreamBodySent'));
channels.subscribe('undici:request:headers', once('upstreamHead'));

// A whole answer's first write is its `end`; a stream's, its first `write`.
for (const method of ['write', 'end']) {
  const original = http.ServerResponse.prototype[method];
  http.ServerResponse.prototype[method] = function (...args) {
    const stamps = this[STAMPS];
    if (stamps && stamps.firstWrite === undefined) stamps.firstWrite = nowUs();
    return original.apply(this, args);
  };
}
// The socket write that carries the answer's first bytes out (Node corks the first write of
// a response and uncorks on the next tick, so it can come a little after `firstWrite`).
for (const method of ['_writev', '_write']) {
  const original = net.Socket.prototype[method];
  net.Socket.prototype[method] = function (...args) {
    const stamps = this._httpMessage && this._httpMessage[STAMPS];
    if (stamps && stamps.firstWrite !== undefined && stamps.socketWrite === undefined) stamps.socketWrite = nowUs();
    return original.apply(this, args);
  };
}

process.on('SIGUSR2', () => {
  const file = process.env.SCAIGRID_STAGES_OUT;
  if (file) writeFileSync(file, JSON.stringify(requests));
  requests = [];
  current = undefined;
});
