// Types for postgres.mjs (plain Node ESM), so TypeScript callers (the server's test setup) can import it.
export declare const postgresInstallHint: string;
export declare function findPostgresBin(env?: Record<string, string | undefined>): string | undefined;
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (superuser, trust auth, loopback only). */
  url: string;
  port: number;
  dir: string;
  /** Stop the postmaster and remove its folder. */
  stop(): void;
}
export declare function startPostgres(options?: {
  bin?: string | undefined;
  log?: (line: string) => void;
}): Promise<PostgresCluster>;
