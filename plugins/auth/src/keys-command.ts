/**
 * @module keys-command
 * `scaigrid keys ...`: the operator's way to manage keys from a shell with database access
 * (acting as a global admin). `create` prints the new key once; `list` shows hints only.
 */
import { parseArgs } from 'node:util';
import type { CommandHandler } from '@scaigrid/kernel';
import type { KeyCacheInvalidation } from './key-cache-invalidation.js';
import { issueApiKey } from './issue-api-key.js';
import type { RoleRegistry } from './roles.js';
import type { ApiKeyStore } from './store/api-key-store.js';
import type { PartnerStore } from './store/partner-store.js';
import type { TenantStore } from './store/tenant-store.js';
import { keyStatus } from './routes/keys.js';

export interface KeysCommandDeps {
  keys: ApiKeyStore;
  tenants: TenantStore;
  partners: PartnerStore;
  roles: RoleRegistry;
  declared: ReadonlySet<string>;
  invalidation: KeyCacheInvalidation;
}

export const KEYS_USAGE = [
  'Usage:',
  '  scaigrid keys create --name <name> [--tenant <id|slug>] [--partner <id|slug>] [--role <role>]... [--scope <permission>]... [--expires-in-days <n>]',
  '  scaigrid keys list [--tenant <id|slug>]',
  '  scaigrid keys revoke <key-id>',
].join('\n');

export function keysCommand(deps: KeysCommandDeps): CommandHandler {
  return async (args, io) => {
    const [sub, ...rest] = args;
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          name: { type: 'string' },
          tenant: { type: 'string' },
          partner: { type: 'string' },
          role: { type: 'string', multiple: true },
          scope: { type: 'string', multiple: true },
          'expires-in-days': { type: 'string' },
        },
      });
    } catch (err) {
      io.print(`${(err as Error).message}\n${KEYS_USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    const fail = (message: string) => {
      io.print(message);
      return 1;
    };

    if (sub === 'create') {
      if (!values.name) return fail(`--name is required.\n${KEYS_USAGE}`);
      const roles = values.role ?? ['member'];
      const scopes = values.scope ?? [];
      const badRole = roles.find((r) => !deps.roles.has(r));
      if (badRole) return fail(`Unknown role '${badRole}' (defined: ${deps.roles.names().join(', ')}).`);
      const badScope = scopes.find((s) => !deps.declared.has(s));
      if (badScope) return fail(`Unknown permission '${badScope}' in --scope.`);
      const tenant = values.tenant ? await deps.tenants.find(values.tenant) : undefined;
      if (values.tenant && !tenant) return fail(`Tenant '${values.tenant}' not found.`);
      const partner = values.partner && !tenant ? await deps.partners.find(values.partner) : undefined;
      if (values.partner && !tenant && !partner) return fail(`Partner '${values.partner}' not found.`);
      const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
      if (days !== undefined && !(days > 0)) return fail('--expires-in-days must be a positive number.');
      const { key, secret } = await issueApiKey(deps.keys, {
        tenantId: tenant?.id ?? null,
        partnerId: partner?.id ?? null,
        userId: null,
        name: values.name,
        roles,
        scopes,
        expiresAt: days === undefined ? null : Date.now() + days * 86_400_000,
      });
      await deps.invalidation.keyCreated();
      io.print(`Created API key ${key.id} '${key.name}' (roles: ${roles.join(', ')}${scopes.length ? `; scopes: ${scopes.join(', ')}` : ''}).`);
      io.print(`Key (shown once, store it now): ${secret}`);
      return 0;
    }

    if (sub === 'list') {
      const tenant = values.tenant ? await deps.tenants.find(values.tenant) : undefined;
      if (values.tenant && !tenant) return fail(`Tenant '${values.tenant}' not found.`);
      let after: string | undefined;
      do {
        const page = await deps.keys.list({ kind: 'all' }, { limit: 500, after }, { tenantId: tenant?.id });
        for (const k of page.items) {
          io.print([k.id, k.hint + '…', keyStatus(k), k.tenantId ?? k.partnerId ?? 'global', k.roles.join(',') || '-', k.scopes.join(',') || '-', k.name].join('\t'));
        }
        after = page.nextCursor ?? undefined;
      } while (after);
      return 0;
    }

    if (sub === 'revoke') {
      const id = positionals[0];
      if (!id) return fail(`Which key? ${KEYS_USAGE}`);
      if (!(await deps.keys.get(id))) return fail(`API key '${id}' not found.`);
      await deps.keys.revoke(id);
      await deps.invalidation.keyRevoked(id);
      io.print(`Revoked API key ${id}.`);
      return 0;
    }

    io.print(KEYS_USAGE);
    return sub === undefined || sub === 'help' ? 0 : 2;
  };
}
