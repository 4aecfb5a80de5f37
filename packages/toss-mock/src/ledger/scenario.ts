/** Scenario control: the queued outcomes of the next purchases, and the faults the partner API injects. */
import type { PurchaseOutcome } from '../protocol';
import type { Fault, FaultKind, LedgerState } from './state';

export function queueOutcome(s: LedgerState, outcome: PurchaseOutcome, userKey: number | null): void {
  s.outcomes.push({ outcome, userKey });
}

/** The next outcome queued for this user, else for anyone, else 'success' (taken off the queue). */
export function takeOutcome(s: LedgerState, userKey: number): PurchaseOutcome {
  let index = s.outcomes.findIndex((o) => o.userKey === userKey);
  if (index < 0) index = s.outcomes.findIndex((o) => o.userKey === null);
  if (index < 0) return 'success';
  const [taken] = s.outcomes.splice(index, 1);
  return taken!.outcome;
}

export function addFault(
  s: LedgerState,
  input: { kind: FaultKind; rate?: number; ms?: number; count?: number; path?: string },
): Fault {
  const fault: Fault = {
    id: s.nextFaultId++,
    kind: input.kind,
    rate: input.rate ?? 1,
    ms: input.ms ?? (input.kind === 'latency' ? 500 : 0),
    count: input.count ?? null,
    path: input.path ?? null,
  };
  s.faults.push(fault);
  return fault;
}

/** Faults that hit this request (their counts are used up). `random` decides the rate. */
export function faultsFor(s: LedgerState, path: string, random: () => number): Fault[] {
  const hits: Fault[] = [];
  for (const fault of s.faults) {
    if (fault.path !== null && fault.path !== path) continue;
    if (fault.count !== null && fault.count <= 0) continue;
    if (fault.rate < 1 && random() >= fault.rate) continue;
    if (fault.count !== null) fault.count--;
    hits.push(fault);
  }
  return hits;
}

export function clearFaults(s: LedgerState): void {
  s.faults.length = 0;
}
