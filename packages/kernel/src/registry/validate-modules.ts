/**
 * @module registry/validate-modules
 * Everything the kernel can know about modules before running any of them: ids, duplicates,
 * kernel ranges, dependencies, cycles and config sections. All problems are collected so a
 * single boot error lists every one, each with a stable code and the fix.
 */
import semver from 'semver';
import type { BootProblem } from '../errors.js';
import { MODULE_ID_PATTERN } from '../module.js';
import { KERNEL_VERSION } from '../version.js';
import type { LoadedModule } from './loaded-module.js';
import { topoSort } from './topo-sort.js';

export interface ValidatedModules {
  /** Modules in setup order. */
  ordered: LoadedModule[];
  /** Validated config section of each module, defaults applied. */
  configs: Map<string, unknown>;
  problems: BootProblem[];
}

export function validateModules(
  modules: readonly LoadedModule[],
  sections: Readonly<Record<string, unknown>>,
  kernelVersion: string = KERNEL_VERSION,
): ValidatedModules {
  const problems: BootProblem[] = [];
  const byId = new Map<string, LoadedModule>();

  for (const entry of modules) {
    const { id } = entry.module;
    if (typeof id !== 'string' || !MODULE_ID_PATTERN.test(id)) {
      problems.push({
        code: 'MODULE_INVALID_ID',
        moduleId: String(id),
        message: `Module id '${String(id)}' from ${entry.source} is invalid. Use 2-32 characters: a lowercase letter, then lowercase letters, digits or hyphens.`,
      });
      continue;
    }
    const existing = byId.get(id);
    if (existing) {
      problems.push({
        code: 'MODULE_DUPLICATE_ID',
        moduleId: id,
        message: `Module id '${id}' is declared twice: by ${existing.source} and by ${entry.source}. Remove one from modules:/modulePaths:.`,
      });
      continue;
    }
    byId.set(id, entry);
  }

  for (const [id, { module, source }] of byId) {
    if (module.kernel && !semver.satisfies(kernelVersion, module.kernel, { includePrerelease: true })) {
      problems.push({
        code: 'MODULE_KERNEL_MISMATCH',
        moduleId: id,
        message: `Module '${id}' (${source}) needs kernel ${module.kernel}, but this kernel is ${kernelVersion}. Upgrade the module or the gateway.`,
      });
    }
    for (const dep of module.dependsOn) {
      if (!byId.has(dep)) {
        problems.push({
          code: 'MODULE_MISSING_DEPENDENCY',
          moduleId: id,
          message: `Module '${id}' depends on '${dep}', which is not loaded (loaded: ${[...byId.keys()].sort().join(', ')}). Add it to modules: or mark it optional.`,
        });
      }
    }
  }

  const ids = [...byId.keys()];
  const edges = new Map<string, string[]>();
  for (const [id, { module }] of byId) {
    edges.set(id, [...module.dependsOn, ...module.optionalDependsOn].filter((d) => byId.has(d)));
  }
  const { order, cycles } = topoSort(ids, edges);
  for (const cycle of cycles) {
    problems.push({
      code: 'MODULE_CYCLE',
      moduleId: cycle[0],
      message: `Modules depend on each other in a cycle: ${cycle.join(' -> ')}. Break it by moving the shared part into its own module or making one dependency optional.`,
    });
  }

  const configs = new Map<string, unknown>();
  for (const [id, { module }] of byId) {
    const section = sections[id];
    if (!module.config) {
      configs.set(id, section ?? {});
      continue;
    }
    const result = module.config.safeParse(section ?? {});
    if (result.success) {
      configs.set(id, result.data);
      continue;
    }
    for (const issue of result.error.issues) {
      const path = ['config', id, ...issue.path.map(String)].join('.');
      problems.push({
        code: 'MODULE_CONFIG_INVALID',
        moduleId: id,
        message: `Module '${id}' config is invalid at ${path}: ${issue.message}. Fix that field in the config file.`,
      });
    }
  }

  return { ordered: order.map((id) => byId.get(id)!), configs, problems };
}
