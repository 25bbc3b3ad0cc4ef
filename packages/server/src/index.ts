/**
 * @module @scaigrid/server
 * The gateway entry point as a library: load the config and run a mode.
 */
export { run, type RunOptions } from './run.js';
export { loadConfig, DEFAULT_CONFIG_FILE, type LoadedConfig } from './load-config.js';
export { printModules } from './print-modules.js';
