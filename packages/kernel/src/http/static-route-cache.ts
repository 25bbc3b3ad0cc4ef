/**
 * @module http/static-route-cache
 * Remembers the router's answer for request paths that name a route without parameters
 * (`POST /oai/v1/chat/completions`): the answer for such a path is the same every time, so
 * the gateway's hottest routes cost two map lookups instead of a router search.
 *
 * Why it pays: Hono's RegExpRouter, which looks up static paths in a table, gives up on the
 * whole app as soon as one module declares routes it cannot compile (a static segment beside
 * a parameter that has children, like `/budgets/status` beside `/budgets/:id/status`). The
 * app then runs on the TrieRouter, which walks the tree and allocates parameter maps and a
 * sorted handler list on every request: ~4 KB per request in the benchmark's allocation
 * profile, about as much as one whole Redis command. The routes stay as the modules wrote
 * them; only the repeated search goes.
 *
 * What is cached is bounded by the app's own routes: only answers that include a route
 * (not just `*` middleware, which is what a 404 path matches) and carry no parameters, so
 * arbitrary paths cannot grow the cache.
 */
import type { Result, Router } from 'hono/router';

/** Hono stores each handler with its route record; `method` is 'ALL' for `app.use` middleware. */
type RouteEntry = readonly [unknown, { method?: string } | undefined];

const METHOD_ALL = 'ALL';

export class StaticRouteCache<T> implements Router<T> {
  private readonly byMethod = new Map<string, Map<string, Result<T>>>();

  constructor(private readonly inner: Router<T>) {}

  /** Names the router underneath too; Hono's SmartRouter names the one it settled on after its first match. */
  get name(): string {
    return `StaticRouteCache(${this.inner.name})`;
  }

  add(method: string, path: string, handler: T): void {
    this.byMethod.clear();
    this.inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const cached = this.byMethod.get(method)?.get(path);
    if (cached) return cached;
    const result = this.inner.match(method, path);
    if (isStaticRouteAnswer(result)) {
      let paths = this.byMethod.get(method);
      if (!paths) this.byMethod.set(method, (paths = new Map()));
      paths.set(path, result);
    }
    return result;
  }
}

/** True when the answer names a route and no entry carries a path parameter. */
function isStaticRouteAnswer<T>(result: Result<T>): boolean {
  // [handlers, paramStash] from RegExpRouter: a stash holds the parameter values of this path.
  if (result.length > 1 && (result[1] as unknown[]).length > 0) return false;
  let namesARoute = false;
  for (const entry of result[0] as [T, Record<string, unknown>][]) {
    const params = entry[1];
    for (const _ in params) return false;
    const route = (entry[0] as unknown as RouteEntry)[1];
    if (route?.method !== undefined && route.method !== METHOD_ALL) namesARoute = true;
  }
  return namesARoute;
}
