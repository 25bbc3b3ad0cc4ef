/**
 * @module support/server-process
 * Runs the real `scaigrid` entry (packages/server/src/main.ts through tsx) as a child
 * process, as `pnpm start` does, with a config written to a temp dir, and reads its port
 * from the startup log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(REPO_ROOT, 'packages/server/src/main.ts');
/** tsx's loader by absolute URL, since the child's cwd is a temp dir outside the workspace. */
export const TSX_IMPORT = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A temp dir holding `scaigrid.yaml` with the given config; returns its path. */
export function writeConfig(config: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'sg-srv-'))): string {
  const file = join(dir, 'scaigrid.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

export function runScaigrid(args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_IMPORT, MAIN, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** `bundled`: run what `pnpm start` runs (packages/server/scripts/start.mjs: the esbuild bundle) instead of main.ts via tsx. */
export async function startServer(options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; bundled?: boolean } = {}): Promise<ServerProcess> {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'sg-cwd-'));
  const entry = options.bundled ? [join(REPO_ROOT, 'packages/server/scripts/start.mjs')] : ['--import', TSX_IMPORT, MAIN];
  const child = spawn(process.execPath, entry, {
    cwd,
    env: { ...process.env, SCAIGRID_PORT: '0', SCAIGRID_LOG_LEVEL: 'info', ...options.env },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const port = await new Promise<number>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${out}`)), options.timeoutMs ?? 20_000);
    const check = () => {
      const match = /"port":(\d+)[^\n]*"msg":"ScaiGrid listening"/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolvePromise(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
