import { defineModule } from '@scaigrid/kernel';
import { startTestKernel } from '@scaigrid/testing';
import { Hono } from 'hono';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { formatSseEvent, sseResponse, writeEvents, type SseEvent } from '../src/sse-writer.js';

/**
 * An event source that holds its second event until released, and tells when it was finalized.
 * `endless`: after the gate it never ends by itself, so only a consumer's return() stops it.
 */
function gatedEvents(endless = false) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finalized!: () => void;
  const done = new Promise<void>((resolve) => (finalized = resolve));
  async function* events(): AsyncGenerator<SseEvent> {
    try {
      yield { data: 'first' };
      await gate;
      yield { data: 'second' };
      while (endless) {
        await new Promise((r) => setTimeout(r, 1));
        yield { data: 'more' };
      }
    } finally {
      finalized();
    }
  }
  return { events, release, done };
}

describe('SSE writer', () => {
  it('formats named, unnamed and multi-line events', () => {
    expect(formatSseEvent({ data: '[DONE]' })).toBe('data: [DONE]\n\n');
    expect(formatSseEvent({ event: 'chunk', data: '{"a":1}' })).toBe('event: chunk\ndata: {"a":1}\n\n');
    expect(formatSseEvent({ data: 'a\nb' })).toBe('data: a\ndata: b\n\n');
    expect(formatSseEvent({ data: 'a\r\nb' })).toBe('data: a\ndata: b\n\n');
  });

  describe('as a web stream (outside node:http)', () => {
    it('writes each event as soon as it is produced, without waiting for the next', async () => {
      const source = gatedEvents();
      const app = new Hono().get('/', (c) => sseResponse(c, source.events()));
      const response = await app.request('/');
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
      source.release();
      const second = await reader.read();
      expect(new TextDecoder().decode(second.value)).toBe('data: second\n\n');
      expect((await reader.read()).done).toBe(true);
    });

    it('returns the producer when the reader cancels', async () => {
      const source = gatedEvents();
      const app = new Hono().get('/', (c) => sseResponse(c, source.events()));
      const reader = (await app.request('/')).body!.getReader();
      await reader.read();
      await reader.cancel();
      await source.done;
    });
  });

  describe('over node:http (written to the socket directly)', () => {
    it('sends each event as soon as it is produced, and returns the producer when the client leaves', async () => {
      const sources: ReturnType<typeof gatedEvents>[] = [];
      const sse = defineModule({
        id: 'sse',
        version: '1.0.0',
        setup(ctx) {
          ctx.routes.get('/events', (c) => {
            const source = gatedEvents(sources.length > 0);
            sources.push(source);
            return sseResponse(c, source.events(), { headers: { 'x-extra': 'yes' } });
          });
        },
      });
      const t = await startTestKernel({ modules: [sse] });
      try {
        const res = await t.fetch('/v1/modules/sse/events');
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        expect(res.headers.get('x-extra')).toBe('yes');
        const reader = res.body!.getReader();
        expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
        sources[0].release();
        let rest = '';
        for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
        expect(rest).toBe('data: second\n\n');

        // A client that leaves mid-stream: the producer is returned (its finally runs) once
        // the next event finds the connection closed.
        const controller = new AbortController();
        const leaving = await t.fetch('/v1/modules/sse/events', { signal: controller.signal });
        await leaving.body!.getReader().read();
        controller.abort();
        await new Promise((r) => setTimeout(r, 50));
        sources[1].release();
        await sources[1].done;
      } finally {
        await t.stop();
      }
    });
  });

  describe('the response head', () => {
    /** A ServerResponse that records, in order, what reaches the socket: the head alone, or a write (carrying the head if not yet sent). */
    function recordingResponse() {
      const sent: string[] = [];
      const out = Object.assign(new EventEmitter(), {
        destroyed: false,
        flushHeaders: () => void sent.push('head'),
        write: (text: string) => sent.push(`write ${JSON.stringify(text)}`) > 0,
        end: () => void sent.push('end'),
      });
      return { out: out as unknown as ServerResponse, sent };
    }
    const turnEnds = () => new Promise((r) => setImmediate(r));

    /** First event `ready`: in the writer's first turn; else held until released. */
    function firstEvent(ready: boolean) {
      let release!: () => void;
      const gate = ready ? Promise.resolve() : new Promise<void>((r) => (release = r));
      async function* events(): AsyncGenerator<SseEvent> {
        await gate;
        yield { data: 'first' };
      }
      return { iterator: events()[Symbol.asyncIterator](), release: () => release?.() };
    }

    it('leaves at once for a stream alone on the instance, before its first event is made', async () => {
      const { out, sent } = recordingResponse();
      const writing = writeEvents(firstEvent(true).iterator, out, true);
      expect(sent).toEqual(['head']);
      await writing;
      expect(sent).toEqual(['head', 'write "data: first\\n\\n"', 'end']);
    });

    it('otherwise rides with a first event ready in the same turn: one write', async () => {
      const { out, sent } = recordingResponse();
      await writeEvents(firstEvent(true).iterator, out);
      expect(sent).toEqual(['write "data: first\\n\\n"', 'end']);
    });

    it('makes no write of its own after a stream that ended without events', async () => {
      const { out, sent } = recordingResponse();
      await writeEvents((async function* (): AsyncGenerator<SseEvent> {})(), out);
      await turnEnds();
      expect(sent).toEqual(['end']);
    });

    it('otherwise leaves by itself at the end of the turn when the first event is not ready', async () => {
      const { out, sent } = recordingResponse();
      const late = firstEvent(false);
      const writing = writeEvents(late.iterator, out);
      expect(sent).toEqual([]);
      await turnEnds();
      expect(sent).toEqual(['head']);
      late.release();
      await writing;
      expect(sent).toEqual(['head', 'write "data: first\\n\\n"', 'end']);
    });
  });
});
