// Types for processes.mjs (plain Node ESM), for its TypeScript callers (the e2e harness, the bench, tests).
import type { ChildProcess } from 'node:child_process';

export declare const repoRoot: string;
export declare function sleep(ms: number): Promise<void>;
export declare function freePort(): Promise<number>;
export declare function freePorts(count: number): Promise<number[]>;
export declare function logTail(file: string, lines?: number): string;

export type Env = Record<string, string | undefined>;
export interface StartOptions {
  cwd?: string;
  env?: Env;
  /** Append stdout and stderr here; without it, lines are printed behind a `[name]` prefix. */
  logFile?: string;
  /** Own process group (default). */
  group?: boolean;
  /** How long `stop()` waits before SIGKILL (default 3 s). */
  graceMs?: number;
}
export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  logFile: string | undefined;
  /** Set once the child has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals | 0): boolean;
  /** Lines of its log that match `pattern`. */
  grep(pattern: RegExp): string[];
  /** Its last log lines, for error messages (empty without a log file). */
  tail(lines?: number): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}
export declare function startProcess(
  name: string,
  command: string,
  args: string[],
  options?: StartOptions,
): Child;
export declare function startNode(
  name: string,
  entry: string,
  options?: StartOptions & { nodeArgs?: string[] },
): Child;
export declare function waitUntil(
  child: Child,
  what: string,
  options?: { probe?: () => boolean | Promise<boolean>; timeoutMs?: number | undefined },
): Promise<void>;
export declare function finished(child: Child): Promise<void>;
export declare function stopAll(): Promise<void>;
