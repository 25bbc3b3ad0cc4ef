/**
 * @module migrations
 * The hello module's migration stream, in order.
 */
import { createGreetings } from './0001_create_greetings.js';

export const migrations = [createGreetings];
