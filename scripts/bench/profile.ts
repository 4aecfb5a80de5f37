/**
 * `pnpm bench -- --profile`: summarize the in-process server's V8 CPU profile (written by `--cpu-prof` when it
 * exits) as self time per package and per function, so a missed throughput target comes with its cause.
 * Startup (module loading, migrations) is included; it is small next to a full run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
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
  return repo.split('/').slice(0, 3).join('/');
}

export function summarizeProfile(profileDir: string, top = 8): ProfileSummary | null {
  const files = readdirSync(profileDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(profileDir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  const file = files[0];
  if (!file) return null;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let total = 0;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    total += us;
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const fn = `${frame.functionName || '(anonymous)'} (${pkg}${frame.url ? `/${path.basename(frame.url)}` : ''})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: us / total }));
  return { totalMs: total / 1000, packages: rank(byPackage), functions: rank(byFunction) };
}
