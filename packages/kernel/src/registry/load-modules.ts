/**
 * @module registry/load-modules
 * Turns the config's `modules:` (package names or paths) and `modulePaths:` (directories
 * scanned for packages that declare `"scaigrid": { "module": true }`) into module objects.
 * Load failures become boot problems rather than exceptions, so one error lists them all.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BootProblem } from '../errors.js';
import { isModule } from '../module.js';
import type { LoadedModule } from './loaded-module.js';

export interface LoadModulesOptions {
  specs: readonly string[];
  modulePaths: readonly string[];
  /**
   * Imports a module file by URL (default: `import()`). The server passes one that can load
   * TypeScript sources, so the kernel itself needs no TypeScript loader.
   */
  importModule?: (url: string) => Promise<Record<string, unknown>>;
  /** Directory that relative paths and package names are resolved from. */
  baseDir: string;
}

export async function loadModules(options: LoadModulesOptions): Promise<{ loaded: LoadedModule[]; problems: BootProblem[] }> {
  const loaded: LoadedModule[] = [];
  const problems: BootProblem[] = [];
  const entries = [
    ...options.specs.map((spec) => ({ spec, source: spec })),
    ...options.modulePaths.flatMap((dir) => scanModulePath(resolve(options.baseDir, dir), problems)),
  ];
  const seenFiles = new Set<string>();
  for (const { spec, source } of entries) {
    let file: string;
    try {
      file = resolveSpec(spec, options.baseDir);
    } catch (err) {
      problems.push({ code: 'MODULE_LOAD_FAILED', message: `Module '${spec}' could not be found from ${options.baseDir}: ${(err as Error).message}. Check the name in modules: or install the package.` });
      continue;
    }
    // The same package listed and also found by a scan is one module, not a duplicate.
    if (seenFiles.has(file)) continue;
    seenFiles.add(file);
    try {
      // A bundled build (packages/server/scripts/build.mjs) carries the plugins already loaded.
      const imported = bundledModules()?.get(file) ?? (await (options.importModule ?? defaultImport)(pathToFileURL(file).href));
      const candidate = imported.default ?? imported.module;
      if (!isModule(candidate)) {
        problems.push({ code: 'MODULE_NOT_A_MODULE', message: `'${source}' does not default-export defineModule({...}) (or was built for another kernel API version).` });
        continue;
      }
      loaded.push({ module: candidate, source });
    } catch (err) {
      problems.push({ code: 'MODULE_LOAD_FAILED', message: `Module '${source}' failed to load: ${(err as Error).message}` });
    }
  }
  return { loaded, problems };
}

const defaultImport = (url: string): Promise<Record<string, unknown>> => import(url);

function bundledModules(): Map<string, Record<string, unknown>> | undefined {
  return (globalThis as Record<symbol, Map<string, Record<string, unknown>> | undefined>)[Symbol.for('scaigrid.bundledModules')];
}

function resolveSpec(spec: string, baseDir: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const path = resolve(baseDir, spec);
    if (existsSync(path) && statSync(path).isDirectory()) return packageEntry(path);
    if (!existsSync(path)) throw new Error(`no such file or directory ${path}`);
    return path;
  }
  return createRequire(join(baseDir, 'noop.js')).resolve(spec);
}

/** The entry file of a package directory: its `exports["."]`, `main`, or src/index.ts. */
function packageEntry(dir: string): string {
  const pkgFile = join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    const exp = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.'];
    const entry = typeof exp === 'string' ? exp : exp?.import ?? exp?.default ?? pkg.main;
    if (typeof entry === 'string') return resolve(dir, entry);
  }
  for (const candidate of ['src/index.ts', 'index.ts', 'index.js']) {
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  throw new Error(`no entry point in ${dir}`);
}

function scanModulePath(dir: string, problems: BootProblem[]): { spec: string; source: string }[] {
  if (!existsSync(dir)) {
    problems.push({ code: 'MODULE_LOAD_FAILED', message: `modulePaths entry '${dir}' does not exist. Create it or remove it from modulePaths:.` });
    return [];
  }
  const found: { spec: string; source: string }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const pkgFile = join(dir, name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    try {
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
      if (pkg.scaigrid?.module === true) found.push({ spec: join(dir, name), source: join(dir, name) });
    } catch {
      problems.push({ code: 'MODULE_LOAD_FAILED', message: `${pkgFile} is not valid JSON.` });
    }
  }
  return found;
}
