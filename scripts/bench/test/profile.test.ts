import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/processes.mjs';
import { kindNames, packageOf, summarizeProfile } from '../profile';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kysely =
  'file:///x/node_modules/.pnpm/kysely@0.29.9/node_modules/kysely/dist/esm/dialect/sqlite/sqlite-driver.js';
const trpc =
  'file:///x/node_modules/.pnpm/@trpc+server@11.25.2_typescript@6/node_modules/@trpc/server/dist/a.mjs';
const hooks = `file://${repoRoot}/scripts/bench/sqlite-hooks.ts`;

/** A tiny profile: each leaf gets `ms` of self time. */
function profile(leaves: { stack: { functionName: string; url: string }[]; ms: number }[]) {
  const nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children: number[];
  }[] = [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [] }];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const leaf of leaves) {
    let parent = nodes[0]!;
    for (const frame of leaf.stack) {
      const node = { id: nodes.length + 1, callFrame: { ...frame, lineNumber: 0 }, children: [] as number[] };
      parent.children.push(node.id);
      nodes.push(node);
      parent = node;
    }
    samples.push(parent.id);
    timeDeltas.push(leaf.ms * 1000);
  }
  const file = path.join(dir, `p${Math.random()}.cpuprofile`);
  writeFileSync(file, JSON.stringify({ nodes, samples, timeDeltas }));
  return file;
}

describe('the profile summary', () => {
  it('counts native time by what it does, whoever called it, and JavaScript by package', () => {
    const file = profile([
      {
        stack: [
          { functionName: 'executeQuery', url: kysely },
          { functionName: 'sqliteCommit', url: hooks },
          { functionName: '', url: '' },
        ],
        ms: 40,
      },
      {
        stack: [
          { functionName: 'executeQuery', url: kysely },
          { functionName: 'sqliteStatement', url: hooks },
          { functionName: '', url: '' },
        ],
        ms: 10,
      },
      {
        stack: [
          { functionName: 'hashUserKey', url: 'file:///app/log.ts' },
          { functionName: 'Hmac', url: 'node:internal/crypto/hash' },
          { functionName: 'init', url: '' },
        ],
        ms: 5,
      },
      {
        stack: [
          { functionName: 'writeResponse', url: trpc },
          { functionName: 'writevGeneric', url: 'node:internal/stream_base_commons' },
          { functionName: 'writev', url: '' },
        ],
        ms: 5,
      },
      { stack: [{ functionName: '(garbage collector)', url: '' }], ms: 10 },
      { stack: [{ functionName: 'resolveResponse', url: trpc }], ms: 20 },
      { stack: [{ functionName: 'compileQuery', url: kysely }], ms: 10 },
      { stack: [{ functionName: '(idle)', url: '' }], ms: 500 },
    ]);
    const s = summarizeProfile(file);
    expect(s?.totalMs).toBe(100); // idle left out
    const kinds = Object.fromEntries(s?.kinds.map((k) => [k.name, k.ms]) ?? []);
    expect(kinds).toEqual({
      [kindNames.commit]: 40,
      [kindNames.javascript]: 30,
      [kindNames.statement]: 10,
      [kindNames.gc]: 10,
      [kindNames.crypto]: 5,
      [kindNames.socket]: 5,
    });
    // The SQLite time is NOT charged to kysely, the socket write not to @trpc/server.
    expect(s?.packages.map((p) => [p.name, p.ms])).toEqual([
      ['@trpc/server', 20],
      ['kysely', 10],
    ]);
  });

  it("without the hooks, SQLite under Kysely's driver is still statement execution, not kysely", () => {
    const file = profile([
      {
        stack: [
          { functionName: 'executeQuery', url: kysely },
          { functionName: '', url: '' },
        ],
        ms: 30,
      },
      { stack: [{ functionName: 'executeQuery', url: kysely }], ms: 10 },
    ]);
    const s = summarizeProfile(file);
    expect(s?.kinds.map((k) => [k.name, k.ms])).toEqual([
      [kindNames.statement, 30],
      [kindNames.javascript, 10],
    ]);
  });

  it('names packages the way the report prints them', () => {
    expect(packageOf(trpc)).toBe('@trpc/server');
    expect(packageOf(kysely)).toBe('kysely');
    expect(packageOf('node:internal/deps/undici/undici')).toBe('node:undici (fetch Request/Response)');
    expect(packageOf(`file://${repoRoot}/apps/server/src/log.ts`)).toBe('apps/server/src/log.ts');
  });
});
