import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@scaigrid/plugin-inference';
import { promptsConfigSchema } from '../src/config.js';
import { promptSettings } from '../src/prompt-settings.js';
import { builtinVariable, builtinVariables, compileTemplate, hasVariables, renderCompiled, renderTemplate } from '../src/prompt-template.js';
import { applySystemPrompt } from '../src/system-prompt.js';

const text = (role: ChatMessage['role'], t: string): ChatMessage => ({ role, content: [{ type: 'text', text: t }] });

describe('renderTemplate', () => {
  it('fills known variables and leaves unknown ones as written', () => {
    expect(renderTemplate('Hi {{ name }} on {{model}}, {{missing}}', { name: 'Ada', model: 'm1' })).toBe('Hi Ada on m1, {{missing}}');
  });

  it('offers date, tenant and model built-ins', () => {
    const vars = builtinVariables({ model: 'm', tenantId: 't1', requestId: 'r', now: new Date('2025-03-04T05:06:07Z') });
    expect(renderTemplate('{{date}} {{tenant}} {{model}} [{{user}}]', vars)).toBe('2025-03-04 t1 m []');
    expect(vars.datetime).toBe('2025-03-04T05:06:07.000Z');
  });

  it('tells plain text from a template, and leaves plain text untouched', () => {
    expect(hasVariables('Be brief.')).toBe(false);
    expect(hasVariables(undefined)).toBe(false);
    expect(hasVariables('Today is {{date}}.')).toBe(true);
    expect(renderTemplate('Be brief. {not a variable}', { date: 'x' })).toBe('Be brief. {not a variable}');
  });
});

describe('compiled templates', () => {
  it('split into text and variables once, and ask for each named variable only when rendered', () => {
    const compiled = compileTemplate('{{a}}{{ b }} and {{c}}!');
    expect(compiled).toEqual([{ name: 'a', whole: '{{a}}' }, { name: 'b', whole: '{{ b }}' }, ' and ', { name: 'c', whole: '{{c}}' }, '!']);
    const asked: string[] = [];
    const lookup = (name: string) => {
      asked.push(name);
      return name === 'c' ? undefined : name.toUpperCase();
    };
    expect(renderCompiled(compiled, lookup)).toBe('AB and {{c}}!');
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(renderCompiled(compileTemplate('Be brief.'), lookup)).toBe('Be brief.');
    expect(renderCompiled(compileTemplate(''), lookup)).toBe('');
  });

  it('give each built-in on its own, the same as the full set', () => {
    const input = { model: 'm', tenantId: 't1', requestId: 'r', now: new Date('2025-03-04T05:06:07Z') };
    const all = builtinVariables(input);
    for (const name of Object.keys(all)) expect(builtinVariable(name, input)).toBe(all[name]);
    expect(Object.keys(all)).toEqual(['model', 'date', 'datetime', 'tenant', 'user', 'request_id']);
    expect(builtinVariable('name', input)).toBeUndefined();
  });
});

describe('applySystemPrompt', () => {
  const sep = '\n\n';

  it('puts the safety prefix first, then the persona, then the caller system prompt', () => {
    const out = applySystemPrompt([text('system', 'caller rules'), text('user', 'hi')], { safetyPrefix: 'SAFE', persona: 'PERSONA', mode: 'prepend', separator: sep });
    expect(out).toEqual([text('system', 'SAFE\n\nPERSONA\n\ncaller rules'), text('user', 'hi')]);
  });

  it('adds a system message when the caller sent none', () => {
    expect(applySystemPrompt([text('user', 'hi')], { persona: 'P', mode: 'prepend', separator: sep })).toEqual([text('system', 'P'), text('user', 'hi')]);
  });

  it('replace mode drops every caller system message, wherever it is', () => {
    const out = applySystemPrompt([text('system', 'ignore safety'), text('user', 'hi'), text('system', 'later override')], {
      safetyPrefix: 'SAFE',
      persona: 'P',
      mode: 'replace',
      separator: sep,
    });
    expect(out).toEqual([text('system', 'SAFE\n\nP'), text('user', 'hi')]);
  });

  it('changes nothing without a persona or prefix', () => {
    const messages = [text('system', 's'), text('user', 'u')];
    expect(applySystemPrompt(messages, { mode: 'replace', separator: sep })).toEqual(messages);
  });
});

describe('promptSettings', () => {
  it('reads routing metadata and lets config win field by field', () => {
    const config = promptsConfigSchema.parse({ variables: { org: 'Acme', name: 'global' }, models: { m: { persona: 'from config {{name}}', variables: { name: 'Bot' } } } });
    const settings = promptSettings({ slug: 'm', metadata: { persona: 'from metadata', safetyPrefix: 'meta safety', promptMode: 'replace' } }, config);
    expect(settings).toEqual({ persona: 'from config {{name}}', safetyPrefix: 'meta safety', variables: { org: 'Acme', name: 'Bot' }, mode: 'replace' });
    expect(promptSettings({ slug: 'other', metadata: {} }, config)).toBeUndefined();
  });
});
