/**
 * `pnpm dev`'s operator: an approver named `dev` made on first start, so the console can be signed into at once.
 * Its generated password is kept beside the dev database (`dev-operator.json`, git-ignored under .dev/) so every later
 * `pnpm dev` can print it again; if that file is lost, the password is replaced. Dev stacks only: refused when the
 * configuration is production. You probably don't need to edit this file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createOperator,
  findOperator,
  type OperatorsDeps,
  setOperatorPassword,
  verifyOperatorLogin,
} from '../auth/operators';
import { type Config, repoRoot } from '../config';
import type { Actor } from './audit';

export const DEV_OPERATOR_NAME = 'dev';
const devStack: Actor = { kind: 'system', name: 'pnpm dev' };

/** Where the dev operator's password is kept: beside the SQLite file, else in .dev/. */
export function devOperatorFile(config: Pick<Config, 'databasePath' | 'databaseUrl'>): string {
  const folder = config.databaseUrl ? path.join(repoRoot, '.dev') : path.dirname(config.databasePath);
  return path.join(folder, 'dev-operator.json');
}

function storedPassword(file: string): string | null {
  if (!existsSync(file)) return null;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { password?: unknown };
    return typeof parsed.password === 'string' ? parsed.password : null;
  } catch {
    return null;
  }
}

export type DevOperator =
  | { name: string; role: 'approver'; password: string; created: boolean }
  | { name: string; disabled: true };

/** Make sure the `dev` approver exists and its password is known; a disabled one is left disabled. */
export async function ensureDevOperator(deps: OperatorsDeps, file: string): Promise<DevOperator> {
  const existing = await findOperator(deps, DEV_OPERATOR_NAME);
  if (existing?.disabledAt) return { name: DEV_OPERATOR_NAME, disabled: true };
  const known = storedPassword(file);
  if (existing && known && (await verifyOperatorLogin(deps, DEV_OPERATOR_NAME, known))) {
    return { name: DEV_OPERATOR_NAME, role: 'approver', password: known, created: false };
  }
  const made = existing
    ? await setOperatorPassword(deps, { name: DEV_OPERATOR_NAME }, devStack)
    : await createOperator(deps, { name: DEV_OPERATOR_NAME, role: 'approver' }, devStack);
  writeFileSync(file, `${JSON.stringify({ name: DEV_OPERATOR_NAME, password: made.password }, null, 2)}\n`, {
    mode: 0o600,
  });
  return { name: DEV_OPERATOR_NAME, role: 'approver', password: made.password, created: !existing };
}
