import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineModule, serviceRef } from '@scaigrid/kernel';
import { startTestKernel } from '@scaigrid/testing';
import { inject, injectable, Tokens, tsyringeContainer } from '../src/index.js';

interface Greeter {
  greet(name: string): string;
}
const greeterRef = serviceRef<Greeter>('hello.greeter');

const hello = defineModule({
  id: 'hello',
  version: '1.0.0',
  setup(ctx) {
    ctx.provide(greeterRef, { greet: (name) => `Hello, ${name}` });
  },
});

@injectable()
class Welcome {
  constructor(
    @inject(greeterRef.id) private readonly greeter: Greeter,
    @inject(Tokens.Config) private readonly config: { punctuation: string },
  ) {}
  say(name: string): string {
    return this.greeter.greet(name) + this.config.punctuation;
  }
}

describe('@scaigrid/tsyringe in a real kernel', () => {
  it('resolves a dependency service and the validated config inside setup', async () => {
    const welcome = defineModule({
      id: 'welcome',
      version: '1.0.0',
      dependsOn: ['hello'],
      config: z.object({ punctuation: z.string().default('!') }),
      setup(ctx) {
        const said = tsyringeContainer(ctx, { services: [greeterRef] }).resolve(Welcome);
        ctx.routes.get('/:name', (c) => c.text(said.say(c.req.param('name'))));
      },
    });
    const t = await startTestKernel({ modules: [hello, welcome] });
    try {
      const res = await t.fetch('/v1/modules/welcome/Ada');
      expect(await res.text()).toBe('Hello, Ada!');
    } finally {
      await t.stop();
    }
  });

  it('keeps the dependency rule: a service of an undeclared module fails setup', async () => {
    const sneaky = defineModule({
      id: 'sneaky',
      version: '1.0.0',
      setup(ctx) {
        tsyringeContainer(ctx, { services: [greeterRef] }).resolve(Welcome);
      },
    });
    await expect(startTestKernel({ modules: [hello, sneaky] })).rejects.toThrow(
      /\[SERVICE_NOT_DECLARED\] Module 'sneaky' uses service 'hello\.greeter' of module 'hello'/,
    );
  });
});
