/**
 * @module migrations
 * The routing plugin's migration stream, in order.
 */
import { createModels } from './0001_create_models.js';

export const migrations = [createModels];
