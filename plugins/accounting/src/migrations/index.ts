/**
 * @module migrations
 * The accounting plugin's migration stream, in order.
 */
import { createAccountingTables } from './0001_create_accounting_tables.js';

export const migrations = [createAccountingTables];
