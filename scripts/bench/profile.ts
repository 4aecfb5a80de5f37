/**
 * `pnpm bench -- --profile` (and any missed fulfill target): summarize the in-process server's V8 CPU profile of
 * the timed run (steady state, no startup) as self time per package and per function, so a missed target comes
 * with its cause.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  packages: { name: string; share: number }[];
  functions: { name: string; share: number }[];
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pnpm = url.split('node_modules/.pnpm/')[1];
  if (pnpm) {
    const dir = pnpm.split('/')[0] ?? '';
    // "@trpc+server@11.7.0_…" → "@trpc/server"; "kysely@0.28.8" → "kysely"
    const name = dir.replace(/^@([^+]+)\+/, '@$1/').replace(/@[\d][^_]*(_.*)?$/, '');
    return name;
  }
  if (url.startsWith('node:')) {
    const mod = url.slice('node:'.length).replace(/^internal\//, '');
    if (mod.startsWith('deps/undici')) return 'node:undici (fetch Request/Response)';
    if (mod.startsWith('modules/')) return 'node:modules (loading, tsx hooks)';
    if (mod.startsWith('webstreams/')) return 'node:webstreams';
    return `node:${mod.split('/')[0]}`;
  }
  const repo = url.replace(/^file:\/\//, '').split('/work/main/')[1] ?? url;
  return repo;
}

export function summarizeProfile(file: string, top = 8): ProfileSummary | null {
  if (!existsSync(file)) return null;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  let total = 0;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    // Native code and Node's built-ins (SQLite's step, socket writes, fetch Request objects) are charged to the
    // first package or app file up the stack that called them: that is the code a fix would change.
    let owner = frame;
    let up = parents.get(id);
    while (
      (owner.url === '' || owner.url.startsWith('node:')) &&
      !owner.functionName.startsWith('(') &&
      up !== undefined
    ) {
      const parent = nodes.get(up)?.callFrame;
      if (!parent || parent.url.startsWith('node:inspector')) break; // the profiler's own session
      owner = parent;
      up = parents.get(up);
    }
    if (owner.url.startsWith('node:inspector') || (!frame.url && frame.functionName === 'dispatch')) continue;
    total += us;
    const pkg = packageOf(owner.url, owner.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const where =
      owner === frame ? `${pkg}/${path.basename(frame.url)}` : `${frame.url || 'native'}, from ${pkg}`;
    const fn = `${frame.functionName || '(anonymous)'} (${where})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / total }));
  return { totalMs: total / 1000, packages: rank(byPackage), functions: rank(byFunction) };
}
