/**
 * What the purchase, recovery and sync flows need from the fulfillment server, as one small typed interface. The
 * real implementation is the tRPC client (client.ts); tests may pass any object of this shape. The screens' reads
 * (catalog, inventory, orders) go through TanStack Query instead (app/queries.ts).
 */
import type {
  BeginPurchaseInput,
  BeginPurchaseOutput,
  FulfillInput,
  FulfillOutput,
  LoginInput,
  LoginOutput,
  ReportPurchaseInput,
  ReportPurchaseOutput,
  SyncInput,
  SyncOutput,
  SyncSubscriptionsInput,
  SyncSubscriptionsOutput,
} from '@ait-iap/iap-contract';

export interface ShopApi {
  login(input: LoginInput): Promise<LoginOutput>;
  logout(): Promise<void>;
  fulfill(input: FulfillInput): Promise<FulfillOutput>;
  /** Record a purchase intent before Toss's checkout opens (iap/intents.ts). */
  beginPurchase(input: BeginPurchaseInput): Promise<BeginPurchaseOutput>;
  /** Report a purchase that ended without a grant, or an outbox entry about to be dropped. */
  reportPurchase(input: ReportPurchaseInput): Promise<ReportPurchaseOutput>;
  sync(input: SyncInput): Promise<SyncOutput>;
  syncSubscriptions(input: SyncSubscriptionsInput): Promise<SyncSubscriptionsOutput>;
}
