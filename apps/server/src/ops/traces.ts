/**
 * Ops commands for the traces every paid order leaves and for money owed (hooked into cli.ts; JSON like the rest):
 *
 *   intents [--since-minutes <n>]   purchase intents with no granted order after INTENT_STALE_AFTER_MINUTES (or n)
 *   dropped [--since <iso>]         outbox entries the app dropped on ORDER_NOT_FOUND / UNKNOWN_SKU, newest first
 *   negative                        users with a negative balance (refunded coins already spent), most owed first
 *   reconcile-runs [--last <n>]     the last reconcile run(s) and their reports (incl. how far the horizon walk got)
 */
import type { Config } from '../config';
import type { AppDeps } from '../context';
import { listDroppedOrders, listStaleIntents } from '../fulfillment/intents';
import { listNegativeBalances } from '../fulfillment/owed';
import { lastReconcileRuns } from '../fulfillment/reconcile-runs';

/** Each command's usage line and summary, for the CLI's help (commands.ts registers them). */
export const traceCommandHelp = {
  intents: [
    'intents [--since-minutes <n>]',
    'purchase intents with no granted order after INTENT_STALE_AFTER_MINUTES',
  ],
  dropped: [
    'dropped [--since <iso date>]',
    'outbox entries the app dropped on ORDER_NOT_FOUND / UNKNOWN_SKU',
  ],
  negative: ['negative', 'users with a negative balance (refunded coins already spent)'],
  'reconcile-runs': [
    'reconcile-runs [--last <n>]',
    'the last reconcile run(s) and how far the horizon walk got',
  ],
} as const;

export const traceCommands = Object.keys(traceCommandHelp) as Array<keyof typeof traceCommandHelp>;

/** Options these commands read, as `parseArgs` gives them. */
export interface TraceOptions {
  since?: string | undefined;
  'since-minutes'?: string | undefined;
  last?: string | undefined;
}

function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a whole number ≥ 1`);
  return parsed;
}

/** Run `command` if it is one of these; null if it is not (the CLI then tries its own). Returns the exit code. */
export async function runTraceCommand(
  command: string,
  deps: Pick<AppDeps, 'database' | 'clock'>,
  config: Pick<Config, 'intents'>,
  options: TraceOptions,
  print: (value: unknown) => void,
): Promise<number | null> {
  switch (command) {
    case 'intents': {
      const staleAfterMinutes =
        wholeNumber(options['since-minutes'], '--since-minutes') ?? config.intents.staleAfterMinutes;
      print(await listStaleIntents(deps, { staleAfterMinutes }));
      return 0;
    }
    case 'dropped':
      print(await listDroppedOrders(deps, { since: options.since ?? null }));
      return 0;
    case 'negative':
      print(await listNegativeBalances(deps));
      return 0;
    case 'reconcile-runs':
      print(await lastReconcileRuns(deps, wholeNumber(options.last, '--last') ?? 1));
      return 0;
    default:
      return null;
  }
}
