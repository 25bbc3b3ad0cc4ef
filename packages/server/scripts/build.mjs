/**
 * @module server/scripts/build
 * Bundles the `scaigrid` entry, the kernel and every workspace plugin into one ESM file,
 * `packages/server/dist/main.mjs`, so that a start loads one already-compiled file instead of
 * having tsx transpile a few hundred TypeScript files through its loader thread (that was
 * most of the cold start, and the loader thread's memory stayed for the process's life).
 * Third-party packages stay external, imported by their resolved absolute paths so the
 * bundle works from its own folder. Plugins are registered by entry path under
 * `Symbol.for('scaigrid.bundledModules')`; the kernel takes a module from there before it
 * would import the file, so `modules:` in the config works exactly as before.
 *
 * `start.mjs` runs this when the bundle is missing or older than any source file, so an
 * edit is never served stale. Plain JS on purpose: it must run before anything is built.
 *
 * @example
 * node packages/server/scripts/build.mjs            # writes packages/server/dist/main.mjs
 * node packages/server/scripts/build.mjs --check    # exit 0 when the bundle is fresh, 1 when stale
 * node packages/server/scripts/build.mjs --outdir /tmp/sg   # elsewhere
 * node packages/server/scripts/build.mjs --quiet     # errors only (what start.mjs runs)
 * node packages/server/scripts/build.mjs --readable  # lines kept, for a profile's ticks per line
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serverDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const root = resolve(serverDir, '../..');
export const bundleFile = join(serverDir, 'dist/main.mjs');

/** Workspace packages whose sources go into the bundle: packages/* and plugins/* with src/index.ts. */
function workspaceSourceDirs(workspace = root) {
  const dirs = [];
  for (const group of ['packages', 'plugins']) {
    const base = join(workspace, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const src = join(base, name, 'src');
      if (existsSync(join(src, 'index.ts')) || existsSync(join(src, 'main.ts'))) dirs.push({ group, name, src });
    }
  }
  return dirs;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * True when the bundle exists and nothing it is built from is newer: a workspace source or
 * package.json, this script, or the installed third-party packages.
 * @param {{ bundle?: string, workspace?: string }} [at] the bundle and workspace to compare (default: this checkout's)
 */
export function bundleIsFresh({ bundle = bundleFile, workspace = root } = {}) {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  if (statSync(fileURLToPath(import.meta.url)).mtimeMs > built) return false;
  // Third-party packages are compiled into the bundle too: a changed lockfile or a new install
  // (pnpm rewrites node_modules/.modules.yaml) may have changed them.
  for (const file of ['pnpm-lock.yaml', 'node_modules/.modules.yaml']) {
    const path = join(workspace, file);
    if (existsSync(path) && statSync(path).mtimeMs > built) return false;
  }
  for (const { src } of workspaceSourceDirs(workspace)) {
    if (newestMtime(src) > built) return false;
    const pkg = join(src, '../package.json');
    if (existsSync(pkg) && statSync(pkg).mtimeMs > built) return false;
  }
  return true;
}

/**
 * Third-party packages that stay outside the bundle, imported from node_modules by absolute
 * path. Everything else a workspace package imports is bundled: one file to read and compile
 * instead of a few hundred to resolve, stat and compile one by one (cold start 1.7 -> 0.9 s,
 * RSS at ready 134 -> 103 MB). Kept out: a native addon (better-sqlite3), packages that load their own
 * files by path at run time (pino's transports run in worker threads; bullmq reads its Lua
 * scripts from disk; grpc's proto-loader), and large packages only a mode or store loads
 * lazily (mysql2, the AWS SDK), which gain nothing from being compiled into the build.
 * Modules loaded from outside the bundle (a third party's `.ts` module) import their own copy
 * of hono or zod; the kernel checks errors and modules by shape, not `instanceof`, for this.
 */
const EXTERNAL_PACKAGES = [/^better-sqlite3$/, /^pino(-.*)?$/, /^thread-stream$/, /^bullmq$/, /^@grpc\//, /^mysql2$/, /^@aws-sdk\//, /^@smithy\//, /^@aws-crypto\//, /^tsx$/, /^esbuild$/, /^@rushstack\//];

/** The package a resolved file belongs to: `@scope/name` or `name` after its last node_modules/. */
function packageName(path) {
  const [first, second] = path.slice(path.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

/**
 * Umzug's main file requires its command-line interface, which loads a CLI framework and a
 * JSON-schema validator (~170 ms of a cold start that applies migrations); the gateway never
 * uses that CLI. In the bundle, `./cli` is a stand-in that loads the real file (kept external)
 * on first use, so `umzug.runAsCLI()` and the CLI exports still work.
 */
const UMZUG_CLI_EXPORTS = ['UmzugCLI', 'UpAction', 'DownAction', 'ListAction', 'CreateAction'];
function lazyUmzugCli(realPath) {
  return [
    'let real;',
    `const load = () => (real ??= require(${JSON.stringify(realPath)}));`,
    ...UMZUG_CLI_EXPORTS.map((name) => `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => load().${name} });`),
  ].join('\n');
}

/**
 * Chunk names carry content hashes, so every rebuild adds files (~10 MB with source maps) and
 * never overwrites the old ones. Kept: this build's files and the previous build's, because a
 * process started before this build may still import one of its lazily loaded chunks (the S3
 * store on first use, say); anything older goes.
 */
export function pruneOldBuilds(outdir, written) {
  const manifest = join(outdir, '.build-files.json');
  let previous = [];
  try {
    previous = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch {
    // first build in this folder, or an unreadable manifest: prune nothing but what is unlisted
  }
  const keep = new Set([...written, ...previous].map((path) => basename(path)));
  for (const name of readdirSync(outdir)) {
    if (/\.(mjs|map|LEGAL\.txt)$/.test(name) && !keep.has(name)) rmSync(join(outdir, name), { force: true });
  }
  writeFileSync(manifest, JSON.stringify(written.map((path) => basename(path))));
}

export async function build({ outdir = dirname(bundleFile), quiet = false, readable = false } = {}) {
  const { build: esbuild, stop: stopEsbuild } = await import('esbuild');
  const plugins = workspaceSourceDirs().filter((d) => d.group === 'plugins' && existsSync(join(d.src, 'index.ts')));
  const registerFile = join(outdir, '.register-plugins.mjs');
  mkdirSync(dirname(registerFile), { recursive: true });
  writeFileSync(
    registerFile,
    [
      '// Generated by scripts/build.mjs: every workspace plugin, by the entry path the kernel resolves.',
      ...plugins.map((p, i) => `import * as m${i} from ${JSON.stringify(join(p.src, 'index.ts'))};`),
      `globalThis[Symbol.for('scaigrid.bundledModules')] = new Map([${plugins.map((p, i) => `[${JSON.stringify(join(p.src, 'index.ts'))}, m${i}]`).join(', ')}]);`,
      '',
    ].join('\n'),
  );
  const started = performance.now();
  // esbuild keeps its service process for the next build; `pnpm start` builds once and then
  // serves for days, so the service (and its keep-alive pings) is stopped once the build is done.
  const result = await esbuild({
    write: false,
    entryPoints: { main: join(serverDir, 'src/main.ts') },
    inject: [registerFile],
    outdir,
    outExtension: { '.js': '.mjs' },
    // Code behind a dynamic import (S3 blobs, the BullMQ worker, gRPC, mysql2) stays in its own
    // chunk, loaded only by the mode or store that needs it, as it is when run from source.
    splitting: true,
    // Beside main.mjs, not in a subfolder: `import.meta.url`-relative paths (the default config)
    // must resolve from the same depth as from src/.
    chunkNames: '[name]-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Whitespace and comments out: V8 keeps every loaded file's source in the heap, and one
    // non-ASCII character in a comment stores a whole file as UTF-16 (the 4 MB dependency
    // chunk took 8 MB). Names stay, so profiles and stack traces still read; the source map
    // (`node --enable-source-maps`) maps positions back. Licence comments go to *.LEGAL.txt.
    // `--readable` keeps the lines, for a CPU profile's ticks per line (bench/README, "Hot lines").
    minifyWhitespace: !readable,
    legalComments: 'linked',
    banner: { js: "import { createRequire as __scaigridCreateRequire } from 'node:module'; const require = __scaigridCreateRequire(import.meta.url);" },
    logLevel: quiet ? 'error' : 'warning',
    plugins: [
      {
        name: 'external-node-modules',
        setup(b) {
          // Bare imports: bundle workspace packages, leave third-party ones external by absolute path.
          b.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.pluginData?.resolving) return undefined;
            if (args.path.startsWith('node:')) return { path: args.path, external: true };
            const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { resolving: true } });
            if (resolved.errors.length > 0 || resolved.external) return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: args.path, external: true };
            const external = resolved.path.includes(`${'/'}node_modules${'/'}`) && EXTERNAL_PACKAGES.some((p) => p.test(packageName(resolved.path)));
            return external ? { path: resolved.path, external: true } : { path: resolved.path };
          });
          b.onResolve({ filter: /^\.\/cli$/ }, (args) =>
            /\/umzug\/lib\/[^/]+\.js$/.test(args.importer) ? { path: join(args.resolveDir, 'cli.js'), namespace: 'umzug-lazy-cli' } : undefined,
          );
          b.onResolve({ filter: /.*/, namespace: 'umzug-lazy-cli' }, (args) => ({ path: args.path, external: true }));
          b.onLoad({ filter: /.*/, namespace: 'umzug-lazy-cli' }, (args) => ({ contents: lazyUmzugCli(args.path), loader: 'js' }));
        },
      },
    ],
  }).finally(() => stopEsbuild());
  // Written beside and renamed into place, chunks (content-hashed names) before the entry, so a
  // process starting concurrently never imports half a file or a missing chunk.
  const entry = join(outdir, 'main.mjs');
  const ordered = [...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  for (const file of ordered) {
    mkdirSync(dirname(file.path), { recursive: true });
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  pruneOldBuilds(outdir, result.outputFiles.map((f) => f.path));
  if (!quiet) process.stderr.write(`built ${entry} (${plugins.length} plugins) in ${Math.round(performance.now() - started)} ms\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--check')) process.exit(bundleIsFresh() ? 0 : 1);
  const out = process.argv.indexOf('--outdir');
  await build({ ...(out > 0 ? { outdir: resolve(process.argv[out + 1]) } : {}), quiet: process.argv.includes('--quiet'), readable: process.argv.includes('--readable') });
}
