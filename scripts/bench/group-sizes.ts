/**
 * Commit group sizes of a server under test, read from its `/metrics` (`ait_iap_db_commit_group_size`, a histogram
 * the server fills after each SQLite group COMMIT): a snapshot before and after a timed run, and their difference.
 * You probably don't need to edit this file.
 */

export interface GroupSizeSnapshot {
  count: number;
  sum: number;
  /** Cumulative bucket counts by upper bound. */
  buckets: Map<number, number>;
}

export interface GroupSizes {
  groups: number;
  /** Writes per COMMIT, on average. */
  mean: number;
  /** The histogram bucket holding the 99th percentile group (an upper bound). */
  p99: number;
}

const metric = 'ait_iap_db_commit_group_size';

export async function snapshotGroupSizes(metricsUrl: string | null): Promise<GroupSizeSnapshot | null> {
  if (!metricsUrl) return null;
  try {
    const text = await (await fetch(metricsUrl)).text();
    const snapshot: GroupSizeSnapshot = { count: 0, sum: 0, buckets: new Map() };
    for (const line of text.split('\n')) {
      if (!line.startsWith(metric)) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (line.startsWith(`${metric}_bucket`) && le && le !== '+Inf') snapshot.buckets.set(Number(le), value);
      else if (line.startsWith(`${metric}_sum`)) snapshot.sum = value;
      else if (line.startsWith(`${metric}_count`)) snapshot.count = value;
    }
    return snapshot;
  } catch {
    return null;
  }
}

/** The groups committed between two snapshots; null if none or unknown. */
export function groupSizesBetween(
  before: GroupSizeSnapshot | null,
  after: GroupSizeSnapshot | null,
): GroupSizes | null {
  if (!before || !after) return null;
  const groups = after.count - before.count;
  if (groups <= 0) return null;
  let p99 = Number.POSITIVE_INFINITY;
  for (const [le, cumulative] of [...after.buckets].sort((a, b) => a[0] - b[0])) {
    if (cumulative - (before.buckets.get(le) ?? 0) >= groups * 0.99) {
      p99 = le;
      break;
    }
  }
  return { groups, mean: (after.sum - before.sum) / groups, p99 };
}
