/**
 * @module @scaigrid/testing
 * Helpers for module authors: a real kernel on port 0 with embedded (or real) stores.
 */
export { startTestKernel, type StartTestKernelOptions, type TestKernel } from './start-test-kernel.js';
export { prepareTestStores, uniqueName, type TestStores, type TestStoreOptions } from './test-stores.js';
export { countScriptCalls } from './script-calls.js';
