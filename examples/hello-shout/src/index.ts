/**
 * @module @acme/scaigrid-shout
 * A second example module: it declares `hello` as a dependency and uses its `hello.greeter`
 * service, which the kernel allows only because of that declaration.
 */
import { defineModule } from '@scaigrid/kernel';
import { greeterRef } from '@acme/scaigrid-hello';

export default defineModule({
  id: 'shout',
  version: '1.0.0',
  kernel: '^0.1.0',
  dependsOn: ['hello'],
  setup(ctx) {
    const greeter = ctx.use(greeterRef);
    ctx.routes.get('/:name', async (c) => c.json({ message: (await greeter.greet(c.req.param('name'))).toUpperCase() }));
  },
});
