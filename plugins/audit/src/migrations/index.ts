/**
 * @module migrations
 * The audit module's migration stream, in order.
 */
import { createAuditEvents } from './0001_create_audit_events.js';

export const migrations = [createAuditEvents];
