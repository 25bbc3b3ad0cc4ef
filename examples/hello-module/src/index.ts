/**
 * @module @acme/scaigrid-hello
 * An example third-party module, using the same API as the gateway's own plugins: a route,
 * a migration, a permission, a cron task, an event subscription and a service for others.
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth/auth-service';
import { helloConfigSchema } from './config.js';
import { DatabaseGreeter, greeterRef } from './greeter.js';
import { migrations } from './migrations/index.js';
import { helloRoutes } from './routes.js';

export { greeterRef, type Greeter } from './greeter.js';

export default defineModule({
  id: 'hello',
  version: '1.0.0',
  kernel: '^0.1.0',
  optionalDependsOn: ['auth'],
  config: helloConfigSchema,
  permissions: { 'hello:greet': 'Ask the hello module for a greeting.' },
  migrations,
  async setup(ctx) {
    const greeter = new DatabaseGreeter(ctx.db, ctx.table('greetings'), ctx.events, ctx.config.greeting);
    ctx.provide(greeterRef, greeter);

    const auth = ctx.useOptional(authServiceRef);
    ctx.routes.route('/', helloRoutes(greeter, ctx.redis, auth?.requirePermission('hello:greet')));

    // A queue subscription: each greeting is counted once across all instances, and
    // greetings published while this instance was down are counted when it returns.
    const unsubscribe = await ctx.events.subscribe<{ name: string }>(
      'hello.greeted',
      async () => void (await ctx.redis.incr('stats:heard')),
      { mode: 'queue' },
    );

    ctx.task('count-greetings', { everyMs: ctx.config.statsEveryMs }, async () => {
      await ctx.redis.set('stats:greetings', String(await greeter.count()));
    });

    return { stop: unsubscribe };
  },
});
