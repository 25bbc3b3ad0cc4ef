/**
 * @module migrations
 * The dispatch plugin's migration stream, in order.
 */
import { createProviders } from './0001_create_providers.js';

export const migrations = [createProviders];
