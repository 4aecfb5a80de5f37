/**
 * The grant step as Toss runs it: waiting for the mini-app's answer until the deadline, and reporting every way a
 * grant ends (an answer, no answer, the app closing, the page unloading) to the ledger. Browser-safe.
 */
import type { GrantEnding, GrantRecorded } from '../protocol';
import type { ControlClient } from './control-client';

export interface GrantsDeps {
  control: ControlClient;
  /** What "the app closes" means (default: reload the page). */
  closeApp: () => void;
}

export type Grants = ReturnType<typeof createGrants>;

export function createGrants({ control, closeApp }: GrantsDeps) {
  const waiters = new Map<string, (granted: boolean) => void>();
  /** Paid orders whose grant Toss is waiting for (orderId → buyer), until the host reports how it ended. */
  const inFlight = new Map<string, number>();

  // How a grant ended reaches the ledger (the answer is the ending it kept: a late answer loses to the deadline).
  async function end(
    orderId: string,
    userKey: number,
    ending: GrantEnding,
    keepalive = false,
  ): Promise<GrantEnding> {
    inFlight.delete(orderId);
    const body = { userKey, orderId, ending };
    const recorded = await control.post<GrantRecorded>('/__mock/host/grant', body, { keepalive });
    return recorded.ending;
  }

  return {
    /** Toss now waits for this order's grant answer. */
    start(orderId: string, userKey: number): void {
      inFlight.set(orderId, userKey);
    },
    end,
    /** The mini-app's answer until `deadlineMs`, else 'timeout'. */
    waitForAnswer(orderId: string, deadlineMs: number): Promise<boolean | 'timeout'> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(orderId);
          resolve('timeout');
        }, deadlineMs);
        waiters.set(orderId, (granted) => {
          clearTimeout(timer);
          waiters.delete(orderId);
          resolve(granted);
        });
      });
    },
    /** `processProductGrant`: delivered to the waiting purchase; a late answer finds nobody waiting and is ignored. */
    answer(orderId: string, granted: boolean): void {
      waiters.get(orderId)?.(granted);
    },
    /** The app closes: every grant still waiting for an answer ends 'app-closed', then `closeApp` runs. */
    async closeTheApp(): Promise<void> {
      await Promise.allSettled(
        [...inFlight].map(([orderId, userKey]) => end(orderId, userKey, 'app-closed')),
      );
      closeApp();
    },
    /** The page unloads (reload, navigation, tab closed) during a grant: best effort, the ledger's deadline backs it. */
    onPageHide(): void {
      for (const [orderId, userKey] of inFlight) {
        end(orderId, userKey, 'app-closed', true).catch(() => {});
      }
    },
  };
}
