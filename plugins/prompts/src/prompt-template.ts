/**
 * @module prompt-template
 * `{{variable}}` substitution for personas and safety prefixes. Unknown variables are left
 * as written, so a typo shows up in what the model says instead of silently vanishing.
 */

const VARIABLE = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g;

/**
 * @example renderTemplate('Hi {{ name }}, today is {{date}}', { name: 'Ada', date: '2025-01-01' })
 * // → 'Hi Ada, today is 2025-01-01'
 */
export function renderTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  if (!hasVariables(template)) return template;
  return template.replace(VARIABLE, (whole, name: string) => (Object.hasOwn(variables, name) ? variables[name]! : whole));
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

/** Variables every template may use: model, date, datetime, tenant, user, request_id. */
export function builtinVariables(input: BuiltinInput): Record<string, string> {
  const datetime = input.now.toISOString();
  return {
    model: input.model,
    date: datetime.slice(0, 10),
    datetime,
    tenant: input.tenantId ?? '',
    user: input.userId ?? '',
    request_id: input.requestId,
  };
}
