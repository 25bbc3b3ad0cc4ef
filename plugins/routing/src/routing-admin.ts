/**
 * @module routing-admin
 * `routing.admin`: changes to a model's backends for modules that manage backends on their
 * own schedule (e.g. dispatch-scaiinfer adding and removing inference nodes as they come
 * and go). Same path as the admin API: written, reloaded here, broadcast to every instance.
 * Adding never merges into an existing backend, and removing touches only the named one, so
 * two writers on one model do not undo each other.
 */
import { serviceRef } from '@scaigrid/kernel';
import type { z } from 'zod';
import type { BackendView, ModelView } from './model-record.js';
import type { backendInputSchema } from './model-schema.js';

/** A backend as the admin API accepts it (`providerId`, `upstreamModel`, optional priority, weight, prices, options). */
export type BackendInit = z.input<typeof backendInputSchema>;

export interface RoutingAdmin {
  /** Every model with its backends, as the admin API shows them. */
  models(): ModelView[];
  /** Adds a backend to model `slug`; NOT_FOUND when there is no such model, VALIDATION_ERROR on bad input. */
  addBackend(slug: string, backend: BackendInit): Promise<BackendView>;
  /** Removes backend `backendId` from model `slug` (a model may be left without backends); NOT_FOUND when absent. */
  removeBackend(slug: string, backendId: string): Promise<void>;
}

export const routingAdminRef = serviceRef<RoutingAdmin>('routing.admin');
