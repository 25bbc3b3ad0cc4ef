/**
 * @module dispatcher-registry
 * Dispatchers by provider kind. Provider packages register in their setup (they depend on
 * dispatch), so by the time dispatch seeds providers in onReady every kind is known.
 */
import type { Dispatcher } from './dispatcher.js';
import type { DispatcherRegistry } from './dispatch-service.js';

export class KindRegistry implements DispatcherRegistry {
  private readonly byKind = new Map<string, Dispatcher>();

  register(dispatcher: Dispatcher): void {
    if (this.byKind.has(dispatcher.kind)) {
      throw new Error(`A dispatcher for provider kind '${dispatcher.kind}' is already registered; load only one package per kind.`);
    }
    this.byKind.set(dispatcher.kind, dispatcher);
  }

  get(kind: string): Dispatcher | undefined {
    return this.byKind.get(kind);
  }

  kinds(): string[] {
    return [...this.byKind.keys()].sort();
  }
}
