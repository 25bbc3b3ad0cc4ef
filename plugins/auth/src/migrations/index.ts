/**
 * @module migrations
 * The auth module's migration stream, in order.
 */
import type { Migration } from '@scaigrid/kernel';
import { createAuthTables } from './0001_create_auth_tables.js';

export const migrations: readonly Migration[] = [createAuthTables];
