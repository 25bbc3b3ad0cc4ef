import { expect, it } from 'vitest';
import { joinUrl } from '../src/call-options.js';

it('joins a provider URL and a path with one slash between, however many the URL ends with', () => {
  expect(joinUrl('https://api.openai.com/v1', '/chat/completions')).toBe('https://api.openai.com/v1/chat/completions');
  expect(joinUrl('https://api.openai.com/v1/', '/chat/completions')).toBe('https://api.openai.com/v1/chat/completions');
  expect(joinUrl('https://proxy.example/openai//', '/embeddings')).toBe('https://proxy.example/openai/embeddings');
});
