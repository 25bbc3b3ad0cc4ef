/**
 * @module registry/loaded-module
 * A module together with where it came from, so boot errors can name both sources of a
 * duplicate and the CLI can show where each module lives.
 */
import type { Module } from '../module.js';

export interface LoadedModule {
  readonly module: Module;
  /** Package name, path, or `inline` for modules passed as objects. */
  readonly source: string;
}
