/** Types of heap-tuning.mjs (plain JS: it runs before anything is built). */
export declare const HEAP_GROWING_PERCENT: number;
export declare function tuneHeap(from?: { execArgv?: readonly string[]; nodeOptions?: string; setting?: string }): string[];
