/**
 * @module prompt-template
 * `{{variable}}` substitution for personas and safety prefixes. Unknown variables are left
 * as written, so a typo shows up in what the model says instead of silently vanishing.
 *
 * A template is split into text and variable names once (`compileTemplate`); rendering it for
 * a request is then a join that asks for each named variable only, so a persona naming
 * `{{tenant}}` does not make every request format today's date.
 */

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/** Text, and variables by name with the text that named them (kept when the name is unknown). */
export type CompiledTemplate = readonly (string | { name: string; whole: string })[];

/** @example compileTemplate('Hi {{ name }}!') // ['Hi ', { name: 'name', whole: '{{ name }}' }, '!'] */
export function compileTemplate(template: string): CompiledTemplate {
  const parts: (string | { name: string; whole: string })[] = [];
  let end = 0;
  for (const match of template.matchAll(VARIABLE)) {
    if (match.index > end) parts.push(template.slice(end, match.index));
    parts.push({ name: match[1]!, whole: match[0] });
    end = match.index + match[0].length;
  }
  if (end < template.length || parts.length === 0) parts.push(template.slice(end));
  return parts;
}

/** Joins a compiled template, with `lookup(name)` for each variable (undefined: left as written). */
export function renderCompiled(template: CompiledTemplate, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (const part of template) out += typeof part === 'string' ? part : (lookup(part.name) ?? part.whole);
  return out;
}

/**
 * @example renderTemplate('Hi {{ name }}, today is {{date}}', { name: 'Ada', date: '2025-01-01' })
 * // → 'Hi Ada, today is 2025-01-01'
 */
export function renderTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  if (!hasVariables(template)) return template;
  return renderCompiled(compileTemplate(template), (name) => (Object.hasOwn(variables, name) ? variables[name] : undefined));
}

/** Whether `template` may name a variable; most prompts are plain text and need no rendering. */
export function hasVariables(template: string | undefined): template is string {
  return template !== undefined && template.includes('{{');
}

export interface BuiltinInput {
  model: string;
  tenantId?: string;
  userId?: string;
  requestId: string;
  now: Date;
}

const BUILTIN_NAMES = ['model', 'date', 'datetime', 'tenant', 'user', 'request_id'] as const;

/** One of the variables every template may use (see `builtinVariables`); undefined for any other name. */
export function builtinVariable(name: string, input: BuiltinInput): string | undefined {
  switch (name) {
    case 'model':
      return input.model;
    case 'date':
      return input.now.toISOString().slice(0, 10);
    case 'datetime':
      return input.now.toISOString();
    case 'tenant':
      return input.tenantId ?? '';
    case 'user':
      return input.userId ?? '';
    case 'request_id':
      return input.requestId;
    default:
      return undefined;
  }
}

/** Variables every template may use: model, date, datetime, tenant, user, request_id. */
export function builtinVariables(input: BuiltinInput): Record<string, string> {
  return Object.fromEntries(BUILTIN_NAMES.map((name) => [name, builtinVariable(name, input)!]));
}
