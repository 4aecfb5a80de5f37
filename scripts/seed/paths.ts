/** Where seed looks by default: the repo root, the catalog file, the dev database. Env overrides are read in cli.ts. */
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const defaultCatalogPath = path.join(repoRoot, 'catalog', 'products.json');
export const defaultDatabasePath = path.join(repoRoot, '.dev', 'app.db');
export const defaultMockControlUrl = 'http://127.0.0.1:3101';
