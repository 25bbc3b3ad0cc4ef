/**
 * @module print-modules
 * `scaigrid modules`: the resolved module order with each module's mounts, permissions,
 * tasks and migration status, so an operator sees what will run before it runs.
 */
import type { Kernel } from '@scaigrid/kernel';

export async function printModules(kernel: Kernel, print: (line: string) => void): Promise<void> {
  const status = new Map((await kernel.migrationStatus()).map((s) => [s.moduleId, s]));
  const { http, tasks, permissions, commands } = kernel.collections;
  print(`${kernel.modules.length} module(s), in setup order:`);
  kernel.modules.forEach(({ module, source }, index) => {
    const deps = [...module.dependsOn, ...module.optionalDependsOn.map((d) => `${d}?`)];
    print(`${index + 1}. ${module.id}@${module.version}  (${source})${deps.length ? `  depends on: ${deps.join(', ')}` : ''}`);
    const mounts = [`/v1/modules/${module.id}/`, ...http.mounts.filter((m) => m.moduleId === module.id).map((m) => m.path)];
    print(`   mounts:      ${mounts.join(', ')}`);
    const perms = permissions.filter((p) => p.moduleId === module.id).map((p) => p.name);
    if (perms.length) print(`   permissions: ${perms.join(', ')}`);
    const ownTasks = tasks.filter((t) => t.moduleId === module.id).map((t) => `${t.name} (${t.cron ?? `every ${t.everyMs} ms`})`);
    if (ownTasks.length) print(`   tasks:       ${ownTasks.join(', ')}`);
    const ownCommands = commands.filter((c) => c.moduleId === module.id).map((c) => c.name);
    if (ownCommands.length) print(`   commands:    ${ownCommands.join(', ')}`);
    const s = status.get(module.id);
    if (s && (s.applied.length || s.pending.length)) {
      print(`   migrations:  ${s.applied.length} applied, ${s.pending.length} pending${s.pending.length ? ` (${s.pending.join(', ')})` : ''}`);
    }
  });
}
