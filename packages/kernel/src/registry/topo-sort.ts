/**
 * @module registry/topo-sort
 * Stable topological order of modules: among modules whose dependencies are met, the
 * smallest id goes first, so the same set always boots in the same order.
 */

export interface SortResult {
  order: string[];
  /** Each cycle as a path that ends where it starts: ['a', 'b', 'a']. */
  cycles: string[][];
}

/** `edges.get(id)` are the ids `id` depends on (only those present in `ids`). */
export function topoSort(ids: readonly string[], edges: ReadonlyMap<string, readonly string[]>): SortResult {
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of ids) {
    const deps = (edges.get(id) ?? []).filter((d) => ids.includes(d));
    remaining.set(id, deps.length);
    for (const d of deps) dependents.set(d, [...(dependents.get(d) ?? []), id]);
  }
  const ready = ids.filter((id) => remaining.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) {
        ready.push(dependent);
        ready.sort();
      }
    }
  }
  const stuck = ids.filter((id) => !order.includes(id));
  return { order, cycles: stuck.length > 0 ? findCycles(stuck, edges) : [] };
}

/** Finds distinct cycles among the modules the sort could not place. */
function findCycles(stuck: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const start of [...stuck].sort()) {
    if (seen.has(start)) continue;
    const path: string[] = [];
    const onPath = new Set<string>();
    const walk = (id: string): string[] | undefined => {
      path.push(id);
      onPath.add(id);
      for (const dep of [...(edges.get(id) ?? [])].filter((d) => stuck.includes(d)).sort()) {
        if (onPath.has(dep)) return [...path.slice(path.indexOf(dep)), dep];
        if (!seen.has(dep)) {
          const found = walk(dep);
          if (found) return found;
        }
      }
      path.pop();
      onPath.delete(id);
      seen.add(id);
      return undefined;
    };
    const cycle = walk(start);
    if (cycle) {
      cycle.forEach((id) => seen.add(id));
      cycles.push(cycle);
    }
  }
  return cycles;
}
