import { Hono } from 'hono';
import { SmartRouter } from 'hono/router/smart-router';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { TrieRouter } from 'hono/router/trie-router';
import { describe, expect, it } from 'vitest';
import { StaticRouteCache } from '../../src/http/static-route-cache.js';

/** An app shaped like the gateway's: global middleware, a static hot route, and routes RegExpRouter refuses. */
function gatewayLikeApp() {
  const app = new Hono({ router: new StaticRouteCache(new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] })) });
  const router = app.router as StaticRouteCache<unknown>;
  app.use('*', async (c, next) => {
    c.header('x-seen', 'yes');
    await next();
  });
  app.post('/oai/v1/chat/completions', (c) => c.text('chat'));
  const budgets = new Hono();
  budgets.get('/status', (c) => c.text('all status'));
  budgets.get('/:id', (c) => c.text(`budget ${c.req.param('id')}`));
  budgets.get('/:id/status', (c) => c.text(`status of ${c.req.param('id')}`));
  app.route('/v1/admin/budgets', budgets);
  return { app, router };
}

const call = async (app: Hono, method: string, path: string) => {
  const res = await app.request(path, { method });
  return { status: res.status, text: await res.text(), seen: res.headers.get('x-seen') };
};

describe('StaticRouteCache', () => {
  it('answers every route as the router under it does, twice over', async () => {
    const { app } = gatewayLikeApp();
    for (let round = 0; round < 2; round++) {
      expect(await call(app, 'POST', '/oai/v1/chat/completions')).toEqual({ status: 200, text: 'chat', seen: 'yes' });
      expect(await call(app, 'GET', '/v1/admin/budgets/status')).toEqual({ status: 200, text: 'all status', seen: 'yes' });
      expect(await call(app, 'GET', '/v1/admin/budgets/b1')).toEqual({ status: 200, text: 'budget b1', seen: 'yes' });
      expect(await call(app, 'GET', `/v1/admin/budgets/b${round}/status`)).toEqual({ status: 200, text: `status of b${round}`, seen: 'yes' });
      expect((await call(app, 'GET', '/oai/v1/chat/completions')).status).toBe(404);
      expect((await call(app, 'POST', `/nowhere/${round}`)).status).toBe(404);
    }
    // The app really is on the fallback router, the case the cache is for.
    expect(app.router.name).toMatch(/TrieRouter/);
  });

  it('remembers parameterless routes only, so other paths cannot grow it', async () => {
    const { app, router } = gatewayLikeApp();
    const first = router.match('POST', '/oai/v1/chat/completions');
    expect(router.match('POST', '/oai/v1/chat/completions')).toBe(first);
    // `/status` also matches `/:id` (id 'status'), a parameter route; it, any parameter route
    // and a path only middleware matches are searched every time.
    expect(router.match('GET', '/v1/admin/budgets/status')).not.toBe(router.match('GET', '/v1/admin/budgets/status'));
    expect(router.match('GET', '/v1/admin/budgets/b1')).not.toBe(router.match('GET', '/v1/admin/budgets/b1'));
    expect(router.match('GET', '/random/path')).not.toBe(router.match('GET', '/random/path'));
    for (let i = 0; i < 100; i++) await call(app, 'GET', `/probe/${i}`);
    const remembered = (router as unknown as { byMethod: Map<string, Map<string, unknown>> }).byMethod;
    expect([...remembered].map(([method, paths]) => [method, [...paths.keys()]])).toEqual([['POST', ['/oai/v1/chat/completions']]]);
  });

  it('forgets what it remembered when a route is added', () => {
    // Entries shaped as Hono stores them: [handler, route record].
    type Entry = [string, { method: string }];
    const router = new StaticRouteCache<Entry>(new TrieRouter());
    router.add('GET', '/a', ['first', { method: 'GET' }]);
    const before = router.match('GET', '/a');
    expect(router.match('GET', '/a')).toBe(before);
    router.add('ALL', '/a', ['later', { method: 'ALL' }]);
    const after = router.match('GET', '/a');
    expect(after).not.toBe(before);
    expect(after[0].map(([entry]) => entry[0])).toEqual(['first', 'later']);
  });
});
