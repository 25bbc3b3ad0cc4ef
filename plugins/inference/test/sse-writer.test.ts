import { describe, expect, it } from 'vitest';
import { formatSseEvent, sseResponse, type SseEvent } from '../src/sse-writer.js';

describe('SSE writer', () => {
  it('formats named, unnamed and multi-line events', () => {
    expect(formatSseEvent({ data: '[DONE]' })).toBe('data: [DONE]\n\n');
    expect(formatSseEvent({ event: 'chunk', data: '{"a":1}' })).toBe('event: chunk\ndata: {"a":1}\n\n');
    expect(formatSseEvent({ data: 'a\nb' })).toBe('data: a\ndata: b\n\n');
  });

  it('writes each event as soon as it is produced, without waiting for the next', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* events(): AsyncGenerator<SseEvent> {
      yield { data: 'first' };
      await gate;
      yield { data: 'second' };
    }
    const response = sseResponse(events());
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    release();
    const second = await reader.read();
    expect(new TextDecoder().decode(second.value)).toBe('data: second\n\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('returns the producer when the reader cancels', async () => {
    let finalized = false;
    async function* events(): AsyncGenerator<SseEvent> {
      try {
        for (let i = 0; ; i++) yield { data: String(i) };
      } finally {
        finalized = true;
      }
    }
    const reader = sseResponse(events()).body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(finalized).toBe(true);
  });
});
