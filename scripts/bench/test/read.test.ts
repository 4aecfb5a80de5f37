import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRead } from '../read';
import { setLogDir } from '../servers';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-read-test-'));
setLogDir(path.join(dir, 'logs'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the read phase', () => {
  it('compares me.inventory and catalog.list with a bare handler that gives the very same answers', async () => {
    const results = await runRead({ requests: 20, warmup: 4, users: 3, tmpDir: dir });
    expect(results.map((e) => e.endpoint)).toEqual(['me.inventory', 'catalog.list']);
    for (const endpoint of results) {
      // The same data from both sides: the baseline does the same reads, so the gap is only what the server adds.
      expect(endpoint.sameAnswer).toBe(true);
      expect(endpoint.server.failed + endpoint.bare.failed).toBe(0);
      expect(endpoint.server.load.requests + endpoint.bare.load.requests).toBe(20);
    }
  }, 90_000);
});
