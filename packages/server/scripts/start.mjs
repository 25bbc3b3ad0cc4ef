/**
 * @module server/scripts/start
 * What `pnpm start` (and `pnpm scaigrid`) run: the bundled server, built first when it is
 * missing or older than any workspace source, so a fresh clone and an edited tree both start
 * the current code. If the bundle cannot be built, it starts from the TypeScript sources
 * through tsx instead (slower to start, same behaviour). Arguments pass through.
 *
 * The build runs in a child process. Run in this one, esbuild's output (~10 MB with source
 * maps) and the heap it grew stayed in the server's RSS for the process's life: a server
 * started right after an edit sat ~30 MB higher, idle and under load, than one started on a
 * fresh bundle.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleFile, bundleIsFresh, root } from './build.mjs';
import { tuneHeap } from './heap-tuning.mjs';

let entry = bundleFile;
if (process.env.SCAIGRID_NO_BUNDLE === '1') entry = undefined;
else if (!bundleIsFresh()) {
  const buildScript = fileURLToPath(new URL('./build.mjs', import.meta.url));
  const built = spawnSync(process.execPath, [buildScript, '--quiet'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0) {
    const why = built.error?.message ?? `the build exited with ${built.status ?? built.signal}`;
    process.stderr.write(`Could not bundle the server (${why}); starting from the TypeScript sources with tsx.\n`);
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
