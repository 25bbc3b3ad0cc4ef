/**
 * @module service-ref
 * Typed references to services that modules provide to their dependents. The part of the id
 * before the first dot names the owning module (`routing.service` belongs to `routing`);
 * `kernel.*` refs are the kernel's own.
 */

export interface ServiceRef<T> {
  readonly id: string;
  readonly owner: string;
  /** Phantom field carrying the service type; never set at run time. */
  readonly __type?: T;
}

/**
 * @example
 * export const routingServiceRef = serviceRef<RoutingService>('routing.service');
 */
export function serviceRef<T>(id: string): ServiceRef<T> {
  const dot = id.indexOf('.');
  if (dot <= 0 || dot === id.length - 1) {
    throw new Error(`Service ref '${id}' must look like '<module-id>.<name>', e.g. 'routing.service'`);
  }
  return Object.freeze({ id, owner: id.slice(0, dot) });
}
