import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../src');

/** Every module a browser entry pulls in, following relative imports, with its bare (package) imports. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
      const spec = match[1]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.endsWith('.ts') ? spec : `${spec}.ts`));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('browser entries (bundled by Vite into the mini-app in dev)', () => {
  for (const entry of ['host/index.ts', 'panel/index.ts']) {
    it(`${entry} imports no Node module, no node-forge and no Node-side file of the mock`, () => {
      const { files, packages } = importGraph(join(src, entry));
      expect([...packages].sort()).toEqual(['@ait-iap/iap-contract']);
      const nodeSide = [
        'ledger.ts',
        'certs.ts',
        'server.ts',
        'partner-api.ts',
        'control-api.ts',
        'http.ts',
        'cli.ts',
      ];
      const local = files.map((f) => f.slice(src.length + 1));
      const nodeSideDirs = /^(ledger|control-api|partner-api)\//;
      expect(local.filter((f) => nodeSide.includes(f) || nodeSideDirs.test(f))).toEqual([]);
    });
  }

  it('the contract the browser entries use imports only zod', () => {
    const contract = join(import.meta.dirname, '../../iap-contract/src/index.ts');
    expect([...importGraph(contract).packages]).toEqual(['zod']);
  });
});
