/**
 * @module @scaigrid/tsyringe
 * Optional bridge for modules written with tsyringe decorators. Importing it loads
 * `reflect-metadata` before tsyringe (tsyringe refuses to load without it), which is why the
 * decorators are re-exported here: import them from this package, not from `tsyringe`, and the
 * order is always right. The kernel itself never imports tsyringe or reflect-metadata.
 */
import 'reflect-metadata';

export { Tokens, type TokenName } from './tokens.js';
export { tsyringeContainer, type TsyringeBridgeOptions } from './container.js';
export {
  inject,
  injectable,
  injectAll,
  singleton,
  scoped,
  delay,
  Lifecycle,
  type DependencyContainer,
} from 'tsyringe';
