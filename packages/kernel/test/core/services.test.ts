/**
 * A module sees kernel services, its own and those of modules it declared; anything else
 * fails naming both modules and the service.
 */
import { afterEach, expect, it } from 'vitest';
import { defineModule, serviceRef } from '../../src/index.js';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';

interface Greeter {
  greet(name: string): string;
}
const greeterRef = serviceRef<Greeter>('greeter.service');

const greeter = defineModule({
  id: 'greeter',
  version: '1.0.0',
  setup(ctx) {
    ctx.provide(greeterRef, { greet: (name) => `hello ${name}` });
  },
});

let t: TestKernel | undefined;
afterEach(async () => t?.stop());

it('a declared dependency resolves through ctx.use and the awilix scope', async () => {
  let seen = '';
  const user = defineModule({
    id: 'user',
    version: '1.0.0',
    dependsOn: ['greeter'],
    setup(ctx) {
      seen = ctx.use(greeterRef).greet('ada');
      expect(ctx.container.resolve<Greeter>('greeter.service').greet('bob')).toBe('hello bob');
    },
  });
  t = await startTestKernel({ modules: [user, greeter] });
  expect(seen).toBe('hello ada');
});

it('an undeclared module service fails naming both modules', async () => {
  const sneaky = defineModule({
    id: 'sneaky',
    version: '1.0.0',
    setup(ctx) {
      ctx.use(greeterRef);
    },
  });
  await expect(startTestKernel({ modules: [greeter, sneaky] })).rejects.toThrow(
    /Module 'sneaky' uses service 'greeter\.service' of module 'greeter' without declaring it/,
  );
});

it('an optional dependency that is not loaded resolves to undefined with useOptional', async () => {
  let value: unknown = 'unset';
  const opt = defineModule({
    id: 'opt',
    version: '1.0.0',
    optionalDependsOn: ['greeter'],
    setup(ctx) {
      value = ctx.useOptional(greeterRef);
    },
  });
  t = await startTestKernel({ modules: [opt] });
  expect(value).toBeUndefined();
});

it('a module cannot provide a ref owned by another module', async () => {
  const thief = defineModule({
    id: 'thief',
    version: '1.0.0',
    setup(ctx) {
      ctx.provide(greeterRef, { greet: () => 'x' });
    },
  });
  await expect(startTestKernel({ modules: [thief] })).rejects.toThrow(/cannot provide 'greeter\.service'/);
});
