/**
 * @module permissions
 * What accounting declares. Reading budgets and usage across a tenant needs `usage:read`
 * (tenant and partner admins hold it by default); every caller may read its own usage and
 * budget status; changing budgets needs `admin:access`.
 */
export const USAGE_READ = 'usage:read';
export const ADMIN_ACCESS = 'admin:access';

export const ACCOUNTING_PERMISSIONS = Object.freeze({
  [USAGE_READ]: 'Read usage records and budgets of the tenants you can see (a tenant admin: its tenant; a partner admin: its tenants).',
});
