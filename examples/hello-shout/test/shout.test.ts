/**
 * shout uses hello's service through the dependency it declared.
 */
import { expect, it } from 'vitest';
import { startTestKernel } from '@scaigrid/testing';
import hello from '@acme/scaigrid-hello';
import shout from '../src/index.js';

it('shouts the greeting of the hello module', async () => {
  const t = await startTestKernel({ modules: [shout, hello], config: { hello: { greeting: 'Hi' } } });
  const res = await t.fetch('/v1/modules/shout/ada');
  expect(await res.json()).toEqual({ message: 'HI, ADA!' });
  await t.stop();
});
