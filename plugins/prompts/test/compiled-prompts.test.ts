/**
 * CompiledPrompts: a model's settings are merged and compiled once, and again only when the
 * model's metadata object changes (routing reloaded its catalog).
 */
import { describe, expect, it } from 'vitest';
import { CompiledPrompts } from '../src/compiled-prompts.js';
import { promptsConfigSchema } from '../src/config.js';

const config = promptsConfigSchema.parse({ variables: { org: 'Acme' }, models: { configured: { persona: 'You are {{org}}.', variables: { org: 'Beta' } } } });

describe('CompiledPrompts', () => {
  it('compiles a model once and hands the same prompt to every request', () => {
    const prompts = new CompiledPrompts(config);
    const metadata = { safetyPrefix: 'Be safe.' };
    const first = prompts.of({ slug: 'configured', metadata });
    expect(first).toMatchObject({
      persona: ['You are ', { name: 'org', whole: '{{org}}' }, '.'],
      safetyPrefix: ['Be safe.'],
      variables: { org: 'Beta' },
      mode: 'prepend',
      applied: { persona: true, safetyPrefix: true, mode: 'prepend' },
    });
    expect(prompts.of({ slug: 'configured', metadata })).toBe(first);
    expect(Object.isFrozen(first!.applied)).toBe(true);
  });

  it('compiles again when the model metadata object changes, and knows models without settings', () => {
    const prompts = new CompiledPrompts(config);
    const before = prompts.of({ slug: 'meta', metadata: { persona: 'Old.' } });
    const after = prompts.of({ slug: 'meta', metadata: { persona: 'New.', promptMode: 'replace' } });
    expect(before?.persona).toEqual(['Old.']);
    expect(after).toMatchObject({ persona: ['New.'], mode: 'replace' });
    expect(prompts.of({ slug: 'plain', metadata: {} })).toBeUndefined();
    expect(prompts.of({ slug: 'meta', metadata: {} })).toBeUndefined();
  });
});
