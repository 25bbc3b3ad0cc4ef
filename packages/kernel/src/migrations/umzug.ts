/**
 * @module migrations/umzug
 * Umzug, re-exported from a module of ours so that `import('./umzug.js')` keeps its named
 * exports in the server bundle: a CommonJS package imported dynamically becomes a chunk that
 * exports only `default` there, while a static import inside an ESM module keeps its names.
 */
export { Umzug } from 'umzug';
