import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { inject, injectable, Tokens, tsyringeContainer } from '../src/index.js';
import { fakeContext, greeterRef, ref, Welcome, type FakeLog, type Greeter } from './fixtures/greeter.js';

const greeter: Greeter = { greet: (name) => `Hello, ${name}` };
const services = () => new Map<string, unknown>([['hello.greeter', greeter]]);

describe('@scaigrid/tsyringe', () => {
  it('constructs an @injectable class from the context and a dependency service', () => {
    const ctx = fakeContext('app', services(), ['hello']);
    const welcome = tsyringeContainer(ctx, { services: [greeterRef] }).resolve(Welcome);
    expect(welcome.welcome('Ada')).toBe('Hello, Ada!');
    expect((ctx.log as unknown as FakeLog).lines).toEqual(['Hello, Ada!']);
  });

  it('registers every context store under its token', () => {
    const ctx = fakeContext('app', services(), []);
    const di = tsyringeContainer(ctx);
    expect(di.resolve(Tokens.Context)).toBe(ctx);
    for (const name of ['Db', 'Redis', 'RedisStore', 'Blobs', 'Events', 'Http'] as const) {
      expect(di.resolve<{ marker: string }>(Tokens[name]).marker).toBe(name.charAt(0).toLowerCase() + name.slice(1));
    }
    expect(di.resolve(Tokens.Config)).toBe(ctx.config);
    expect(di.resolve(Tokens.Kernel)).toBe(ctx.kernel);
  });

  it('fetches services through ctx.use once, when first injected, so the dependency rule applies', () => {
    const allowed = fakeContext('app', services(), ['hello']);
    const di = tsyringeContainer(allowed, { services: [greeterRef] });
    expect(allowed.uses).toEqual([]);
    di.resolve(Welcome);
    di.resolve(Welcome);
    expect(allowed.uses).toEqual(['hello.greeter']);

    const undeclared = fakeContext('app', services(), []);
    expect(() => tsyringeContainer(undeclared, { services: [greeterRef] }).resolve(Welcome)).toThrow(
      /Module 'app' uses service 'hello\.greeter' of 'hello'/,
    );
  });

  it('injects undefined for an optional service whose module is not loaded', () => {
    @injectable()
    class MaybeAudit {
      constructor(@inject('audit.writer') readonly writer: unknown) {}
    }
    const ctx = fakeContext('app', services(), []);
    const di = tsyringeContainer(ctx, { optionalServices: [ref('audit.writer')] });
    expect(di.resolve(MaybeAudit).writer).toBeUndefined();
  });

  it('keeps each module in its own child container', () => {
    const a = tsyringeContainer(fakeContext('alpha', services(), []));
    const b = tsyringeContainer(fakeContext('beta', services(), []));
    expect(a.resolve(Tokens.Log)).not.toBe(b.resolve(Tokens.Log));
  });

  it('works without decorator metadata, as under tsx (esbuild)', async () => {
    const script = fileURLToPath(new URL('./fixtures/resolve-under-tsx.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ welcome: 'Hello, tsx!', paramtypes: null });
  });
});
