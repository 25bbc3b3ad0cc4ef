/**
 * @module candidate-order
 * The order in which a model's backends are tried. `priority`: by priority ascending, ties by
 * weight descending, then id (stable). `weighted`: one weighted random pick first (weight 0
 * is never picked first), then the rest by weight descending, then priority, then id, so a
 * failover still goes to the next most important backend.
 */

export interface OrderableBackend {
  id: string;
  priority: number;
  weight: number;
}

/** A number in [0, 1), like Math.random; injected so tests can seed it. */
export type RandomSource = () => number;

export function byPriority<B extends OrderableBackend>(a: B, b: B): number {
  return a.priority - b.priority || b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function byWeight<B extends OrderableBackend>(a: B, b: B): number {
  return b.weight - a.weight || a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * @example orderCandidates('weighted', backends, Math.random)
 */
export function orderCandidates<B extends OrderableBackend>(
  policy: 'weighted' | 'priority',
  backends: readonly B[],
  random: RandomSource,
): B[] {
  // One backend (most models) has one order: no sort and no random draw on every request.
  if (backends.length < 2) return [...backends];
  if (policy === 'priority') return [...backends].sort(byPriority);
  const rest = [...backends].sort(byWeight);
  const total = rest.reduce((sum, b) => sum + b.weight, 0);
  if (total <= 0) return rest;
  let point = random() * total;
  let picked = rest.findIndex((b) => (point -= b.weight) < 0);
  // Float rounding can leave `point` at 0 after the last positive weight: pick that one.
  if (picked === -1) picked = rest.reduce((last, b, i) => (b.weight > 0 ? i : last), 0);
  return [rest[picked], ...rest.slice(0, picked), ...rest.slice(picked + 1)];
}
