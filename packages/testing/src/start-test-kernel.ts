/**
 * @module start-test-kernel
 * Boots the real kernel — real registry, migrations, DI, HTTP host — for a module's tests,
 * on embedded stores (or the real ones), listening on 127.0.0.1 port 0, and hands back a
 * fetch bound to it, the module contexts and `stop()`.
 *
 * @example
 * const t = await startTestKernel({ modules: [hello], config: { hello: { greeting: 'hi' } } });
 * const res = await t.fetch('/v1/modules/hello/');
 * expect(await res.json()).toEqual({ message: 'hi' });
 * await t.stop();
 */
import type { KernelConfigInput, LoadedModule, Module, ModuleContext } from '@scaigrid/kernel';
import { Kernel } from '@scaigrid/kernel';
import { pino, type Logger } from 'pino';
import { prepareTestStores, type TestStoreOptions } from './test-stores.js';

export interface StartTestKernelOptions extends TestStoreOptions {
  modules: readonly (Module | LoadedModule)[];
  /** Module config sections by module id. */
  config?: Record<string, unknown>;
  /** Extra kernel settings (server, cors, bodyLimit...). */
  kernel?: Omit<KernelConfigInput, 'config' | 'database' | 'redis' | 'blobs'>;
  /** Start cron tasks in process (default false; call `tasks()` to run them). */
  startTasks?: boolean;
  log?: Logger;
}

export interface TestKernel {
  kernel: Kernel;
  /** e.g. http://127.0.0.1:53211 */
  url: string;
  port: number;
  /** The store URLs and redis namespace in use, to start a second kernel on the same stores. */
  stores: { database: string; redis: string; redisNamespace: string };
  /** fetch relative to the test server; a JSON `body` object is serialised for you. */
  fetch(path: string, init?: Omit<RequestInit, 'body'> & { body?: BodyInit | Record<string, unknown> | unknown[] }): Promise<Response>;
  context<C = any>(moduleId: string): ModuleContext<C>;
  /** Runs every declared task of a module (or all) once, now. */
  runTask(moduleId: string, name: string): Promise<void>;
  /**
   * Resolves once no request is in flight and the work they left behind (`waitUntil`: usage
   * settled after the answer went out, say) is done; throws after `timeoutMs`. An answer
   * reaches the client before that work ends, so a test that reads its effects waits here.
   */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestKernel(options: StartTestKernelOptions): Promise<TestKernel> {
  const stores = await prepareTestStores(options);
  let kernel: Kernel | undefined;
  try {
    kernel = await Kernel.create({
      modules: options.modules,
      config: {
        logLevel: 'silent',
        ...options.kernel,
        server: { drainGraceMs: 2000, ...options.kernel?.server },
        database: stores.database,
        redis: stores.redis,
        blobs: stores.blobs,
        redisNamespace: stores.redisNamespace,
        config: options.config ?? {},
      },
      log: options.log ?? pino({ level: process.env.SCAIGRID_TEST_LOG_LEVEL ?? 'silent' }),
    });
    await kernel.migrate();
    await kernel.setup();
    const port = await kernel.listen(0, '127.0.0.1');
    if (options.startTasks) await kernel.startTasks();
    const url = `http://127.0.0.1:${port}`;
    const k = kernel;
    return {
      kernel: k,
      url,
      port,
      stores: { database: stores.database, redis: stores.redis, redisNamespace: stores.redisNamespace },
      fetch(path, init = {}) {
        const { body, ...rest } = init;
        const headers = new Headers(rest.headers);
        let payload = body as BodyInit | undefined;
        if (body !== undefined && typeof body === 'object' && !(body instanceof Uint8Array) && !(body instanceof ReadableStream) && !(body instanceof Blob) && !(body instanceof FormData) && !(body instanceof URLSearchParams) && !(body instanceof ArrayBuffer)) {
          payload = JSON.stringify(body);
          if (!headers.has('content-type')) headers.set('content-type', 'application/json');
        }
        return fetch(`${url}${path}`, { ...rest, headers, body: payload });
      },
      context(moduleId) {
        const ctx = k.contexts.get(moduleId);
        if (!ctx) throw new Error(`No module '${moduleId}' in this test kernel (loaded: ${k.moduleIds.join(', ')}).`);
        return ctx;
      },
      async runTask(moduleId, name) {
        const task = k.collections.tasks.find((t) => t.moduleId === moduleId && t.name === name);
        if (!task) throw new Error(`Module '${moduleId}' declares no task '${name}'.`);
        await task.handler({ tickAt: Date.now(), signal: new AbortController().signal });
      },
      async settled(timeoutMs = 5000) {
        if (!(await k.drain.waitIdle(timeoutMs))) throw new Error(`Requests or their background work still running after ${timeoutMs} ms.`);
      },
      async stop() {
        await k.stop(2000);
        await stores.cleanup();
      },
    };
  } catch (err) {
    await kernel?.stop(0).catch(() => undefined);
    await stores.cleanup();
    throw err;
  }
}
