/**
 * Where seed looks by default: the repo root, the catalog file, the mock (the database: the server's default).
 * Env overrides are read in cli.ts.
 */
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const defaultCatalogPath = path.join(repoRoot, 'catalog', 'products.json');
export const defaultMockControlUrl = 'http://127.0.0.1:3101';
