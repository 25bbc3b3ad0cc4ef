/**
 * The hello example, through the real kernel: route + migration, the cron task, the event
 * subscription, config validation, and the permission when auth is loaded.
 */
import { afterEach, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import hello from '../src/index.js';

let t: TestKernel | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

it('greets, stores the greeting, and counts it in the cron task', async () => {
  t = await startTestKernel({ modules: [hello], config: { hello: { greeting: 'Howdy' } } });
  const res = await t.fetch('/v1/modules/hello/greetings/ada');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ message: 'Howdy, ada!' });

  await t.runTask('hello', 'count-greetings');
  await expect.poll(async () => (await t!.fetch('/v1/modules/hello/stats')).json()).toEqual({ greetings: 1, heard: 1 });
});

it('rejects a bad name with 400 VALIDATION_ERROR and stores nothing', async () => {
  t = await startTestKernel({ modules: [hello] });
  const res = await t.fetch('/v1/modules/hello/greetings/%3Cscript%3E');
  expect(res.status).toBe(400);
  expect((await res.json()).error.code).toBe('VALIDATION_ERROR');
  const ctx = t.context('hello');
  const rows = await ctx.db.selectFrom(ctx.table('greetings')).selectAll().execute();
  expect(rows).toHaveLength(0);
});

it('refuses an invalid config section, naming the field', async () => {
  await expect(startTestKernel({ modules: [hello], config: { hello: { statsEveryMs: 5 } } })).rejects.toThrow(
    /\[MODULE_CONFIG_INVALID\] Module 'hello' config is invalid at config\.hello\.statsEveryMs/,
  );
});

it('declares its permission centrally', async () => {
  t = await startTestKernel({ modules: [hello] });
  expect(t.context('hello').permissions()).toContainEqual({ name: 'hello:greet', description: expect.any(String), moduleId: 'hello' });
});
