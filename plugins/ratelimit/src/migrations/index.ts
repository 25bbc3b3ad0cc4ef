/**
 * @module migrations
 * The ratelimit module's migration stream, in order.
 */
import { createRateLimitRules } from './0001_create_rate_limit_rules.js';

export const migrations = [createRateLimitRules];
