/**
 * @module http/http-host
 * Builds the one Hono app: kernel request handling, the modules' middleware by phase, the
 * health endpoints, each module's `/v1/modules/<id>/` routes and the claimed top-level mounts.
 * Order (DESIGN.md §3): request id, then `observe` wrapping the rest, then `request` (drain,
 * CORS, body limit, modules'), `authenticate`, `authorize`, and the handler.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import type { Logger } from 'pino';
import type { KernelConfig } from '../config.js';
import type { MiddlewarePhase } from '../context.js';
import { GatewayError } from '../errors.js';
import { bodyLimitMiddleware } from './body-limit.js';
import type { HttpContributions } from './contributions.js';
import type { DrainState } from './drain.js';
import { createErrorHandler } from './error-response.js';
import { requestIdMiddleware } from './request-id.js';
import { StaticRouteCache } from './static-route-cache.js';

export interface HttpHostOptions {
  server: KernelConfig['server'];
  contributions: HttpContributions;
  drain: DrainState;
  log: Logger;
  /** `/ready` answer: undefined when ready, else the reason. */
  readiness(): Promise<string | undefined>;
}

export function buildHttpApp(options: HttpHostOptions): Hono {
  const { server, contributions, drain, log } = options;
  // Hono's own default router, with the answers for parameterless routes remembered.
  const app = new Hono({ router: new StaticRouteCache(new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })) });
  const byPhase = (phase: MiddlewarePhase) => contributions.middleware.filter((m) => m.phase === phase);
  const use = (path: string, handler: MiddlewareHandler) => app.use(path, handler);

  use('*', requestIdMiddleware());
  for (const m of byPhase('observe')) use(m.path, m.handler);
  use('*', drain.middleware(server.drainRetryAfterSeconds));
  if (server.cors.origins.length > 0) {
    use(
      '*',
      cors({
        origin: server.cors.origins.includes('*') ? '*' : server.cors.origins,
        allowHeaders: server.cors.allowHeaders,
        exposeHeaders: server.cors.exposeHeaders,
        credentials: server.cors.credentials,
        allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      }),
    );
  }
  use('*', bodyLimitMiddleware(server.bodyLimit));
  for (const phase of ['request', 'authenticate', 'authorize'] as const) {
    for (const m of byPhase(phase)) use(m.path, m.handler);
  }

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    const reason = drain.isDraining ? 'draining' : await options.readiness();
    return reason ? c.json({ status: 'not_ready', reason }, 503) : c.json({ status: 'ready' });
  });

  for (const [id, routes] of contributions.moduleRoutes) app.route(`/v1/modules/${id}`, routes);
  // Longer mounts first so `/v1/admin/keys` is not shadowed by a `/v1` mount.
  for (const mount of [...contributions.mounts].sort((a, b) => b.path.length - a.path.length)) {
    app.route(mount.path, mount.app);
  }

  const onError = createErrorHandler(
    contributions.mounts.filter((m) => m.renderError).map((m) => ({ prefix: m.path, render: m.renderError! })),
    log,
  );
  app.notFound((c) => onError(new GatewayError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`), c));
  app.onError(onError);
  return app;
}
