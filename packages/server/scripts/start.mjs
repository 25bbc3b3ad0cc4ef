/**
 * @module server/scripts/start
 * What `pnpm start` (and `pnpm scaigrid`) run: the bundled server, built first when it is
 * missing or older than any workspace source, so a fresh clone and an edited tree both start
 * the current code. If the bundle cannot be built, it starts from the TypeScript sources
 * through tsx instead (slower to start, same behaviour). Arguments pass through.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, bundleFile, bundleIsFresh, root } from './build.mjs';
import { tuneHeap } from './heap-tuning.mjs';

let entry = bundleFile;
if (process.env.SCAIGRID_NO_BUNDLE === '1') entry = undefined;
else if (!bundleIsFresh()) {
  try {
    await build({ quiet: true });
  } catch (err) {
    process.stderr.write(`Could not bundle the server (${err.message}); starting from the TypeScript sources with tsx.\n`);
    entry = undefined;
  }
}
if (entry === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'packages/server/src/main.ts');
}
// Resolves once the mode is serving (a one-shot mode exits before); see heap-tuning.mjs.
await import(pathToFileURL(entry).href);
tuneHeap();
