/**
 * @module version
 * The kernel's own version, against which modules' `kernel` ranges are checked.
 */
export const KERNEL_VERSION = '0.1.0';
