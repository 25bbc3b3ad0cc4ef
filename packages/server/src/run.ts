/**
 * @module run
 * Runs one mode of the gateway off the same build: http, worker, grpc, migrate, or a CLI
 * command (`modules`, or one a module declared). Resolves to the exit code.
 */
import { BootError, Kernel, type KernelMode } from '@scaigrid/kernel';
import { loadConfig } from './load-config.js';
import { printModules } from './print-modules.js';

const MODES = ['http', 'worker', 'grpc', 'migrate'] as const;

let typeScriptLoader: Promise<unknown> | undefined;

/**
 * Imports a module file; a `.ts` module (a third-party module used from source, as the
 * examples are) first registers tsx's loader, once, so the bundled server can load it too.
 */
async function importWithTypeScript(url: string): Promise<Record<string, unknown>> {
  if (/\.[cm]?ts$/.test(url)) {
    typeScriptLoader ??= import('tsx/esm/api').then(({ register }) => register());
    await typeScriptLoader;
  }
  return import(url);
}

export interface RunOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  print(line: string): void;
  /** Called once the mode is serving, with a stop function for signals. */
  onServing?(stop: () => Promise<void>): void;
}

export async function run(options: RunOptions): Promise<number> {
  const { argv, env, print } = options;
  const command = argv[0] === 'migrate' || MODES.includes(argv[0] as never) ? undefined : argv[0];
  const mode: KernelMode = command ? 'cli' : ((argv[0] ?? env.SCAIGRID_MODE ?? 'http') as KernelMode);
  if (!command && !MODES.includes(mode as never)) {
    print(`Unknown SCAIGRID_MODE '${mode}'. Use one of: ${MODES.join(', ')}.`);
    return 2;
  }
  const started = performance.now();
  const { config, baseDir } = loadConfig(env);
  let kernel: Kernel;
  try {
    kernel = await Kernel.create({ config, baseDir, mode, importModule: importWithTypeScript });
  } catch (err) {
    print(err instanceof BootError ? err.message : `Cannot start: ${(err as Error).message}`);
    return 1;
  }

  if (mode === 'migrate') {
    try {
      const { applied } = await kernel.migrate((moduleId, migration) => print(`applied ${moduleId}: ${migration}`));
      print(applied.length === 0 ? 'Nothing to migrate; every module is up to date.' : `Applied ${applied.length} migration(s).`);
      return 0;
    } catch (err) {
      print(`Migration failed: ${(err as Error).message}`);
      return 1;
    } finally {
      await kernel.stop();
    }
  }

  try {
    if (mode === 'http' && config.migrateOnStart) await kernel.migrate((m, name) => kernel.log.info({ module: m, migration: name }, 'applied migration'));
    await kernel.setup();
  } catch (err) {
    print(err instanceof BootError ? err.message : `Cannot start: ${(err as Error).message}`);
    await kernel.stop();
    return 1;
  }

  if (command) return runCommand(kernel, command, argv.slice(1), print);

  if (mode === 'http') {
    const port = await kernel.listen();
    // With an embedded redis no other process can share its data, so tasks run here.
    if (kernel.collections.tasks.length > 0 && config.redis.startsWith('memory:')) await kernel.startTasks();
    kernel.log.info({ port, host: config.server.host, modules: kernel.moduleIds, ms: Math.round(performance.now() - started) }, 'ScaiGrid listening');
  } else if (mode === 'worker') {
    await kernel.startTasks();
    kernel.log.info({ tasks: kernel.collections.tasks.map((t) => `${t.moduleId}/${t.name}`) }, 'ScaiGrid worker running');
  } else if (mode === 'grpc') {
    const port = await kernel.startGrpc();
    kernel.log.info({ port }, 'ScaiGrid gRPC listening');
  }
  options.onServing?.(() => kernel.stop());
  return -1;
}

async function runCommand(kernel: Kernel, name: string, args: readonly string[], print: (line: string) => void): Promise<number> {
  try {
    if (name === 'modules') {
      await printModules(kernel, print);
      return 0;
    }
    const command = kernel.collections.commands.find((c) => c.name === name);
    if (!command) {
      const known = ['modules', ...kernel.collections.commands.map((c) => c.name)];
      print(`Unknown command '${name}'. Commands: ${known.join(', ')}; modes: ${MODES.join(', ')}.`);
      return 2;
    }
    return (await command.run(args, { print })) ?? 0;
  } finally {
    await kernel.stop();
  }
}
