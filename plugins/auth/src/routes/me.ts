/**
 * @module routes/me
 * `GET /v1/auth/me`: who am I. Handy for clients checking a key and for operators reading
 * what a credential may do; it shows ids, roles and permissions, never a secret.
 */
import { Hono } from 'hono';
import type { AuthService } from '../auth-service.js';

export function meRoutes(auth: AuthService): Hono {
  const app = new Hono();
  app.get('/me', (c) => {
    const caller = auth.caller(c);
    return c.json({
      kind: caller.kind,
      key_id: caller.keyId ?? null,
      name: caller.name ?? null,
      user_id: caller.userId ?? null,
      tenant_id: caller.tenantId ?? null,
      partner_id: caller.partnerId ?? null,
      roles: [...caller.roles],
      permissions: [...caller.permissions].sort(),
      scope: auth.tenantScope(caller).kind,
    });
  });
  return app;
}
