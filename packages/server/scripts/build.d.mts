/** Types of build.mjs (plain JS: it runs before anything is built). */
export declare const root: string;
export declare const bundleFile: string;
export declare function bundleIsFresh(at?: { bundle?: string; workspace?: string }): boolean;
export declare function build(options?: { outdir?: string; quiet?: boolean }): Promise<void>;
export declare function pruneOldBuilds(outdir: string, written: readonly string[]): void;
