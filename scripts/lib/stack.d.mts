// Types for stack.mjs (plain Node ESM), for its TypeScript callers (the e2e harness, the bench).
import type { Child, Env, StartOptions } from './processes.mjs';

export interface StackPorts {
  /** toss-mock's partner API (HTTPS, mTLS). */
  mock: number;
  /** toss-mock's control API. */
  control: number;
  server: number;
  web: number;
  /** The support console (ADMIN_PORT); optional: stacks without a console leave it out. */
  admin?: number;
}
export declare function stackUrls(ports: StackPorts): {
  partnerUrl: string;
  controlUrl: string;
  serverUrl: string;
  webUrl: string;
  adminUrl: string;
};
export declare function stackEnv(options: {
  ports: StackPorts;
  certDir: string;
  databasePath: string;
}): Record<string, string>;
type Options = Omit<StartOptions, 'env' | 'cwd'> & { timeoutMs?: number };
export declare function startMock(env: Env, options?: Options): Promise<Child>;
export declare function runSeed(env: Env, options?: Omit<StartOptions, 'env'>): Promise<void>;
export declare function startServer(
  env: Env,
  options?: Options & { entry?: string; name?: string; watch?: boolean; nodeArgs?: string[] },
): Promise<Child>;
export declare function startWeb(
  env: Env,
  options: Options & { port: number; outDir?: string },
): Promise<Child>;
export declare function buildWeb(
  env: Env,
  outDir: string,
  options?: Omit<StartOptions, 'env' | 'cwd'>,
): Promise<void>;
/** The support console built into `outDir`; with `watch`, rebuilding on changes (resolves with the watcher). */
export declare function buildConsole(
  env: Env,
  outDir: string,
  options?: Omit<StartOptions, 'env' | 'cwd'> & { watch?: boolean; timeoutMs?: number },
): Promise<Child | undefined>;
