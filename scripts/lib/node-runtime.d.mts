// Types for node-runtime.mjs (plain Node ESM), for its TypeScript callers (tests).
export declare const registryNodeVersion: string;
export declare const minimumNode: number[];
export declare function isSupported(version?: string): boolean;
export declare function formatMegabytes(bytes: number): string;
export declare function cleanStaleDownloads(root: string): void;
export declare function installRegistryNode(options?: {
  version?: string;
  log?: (line: string) => void;
  fetch?: typeof globalThis.fetch;
  /** Registry base URL (default: npm's configured registry). */
  registry?: string;
  /** Where installs are cached (default: a folder in $XDG_CACHE_HOME, else ~/.cache). */
  cacheDir?: string;
}): Promise<string>;
export declare function ensureCurrentNode(options?: { log?: (line: string) => void }): Promise<void>;
