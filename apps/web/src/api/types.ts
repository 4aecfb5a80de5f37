/**
 * What the mini-app needs from the fulfillment server, as one small typed interface. The real implementation is
 * the tRPC client (client.ts); tests may pass any object of this shape.
 */
import type {
  CatalogListOutput,
  FulfillInput,
  FulfillOutput,
  HistoryOutput,
  InventoryOutput,
  LoginInput,
  LoginOutput,
  SyncInput,
  SyncOutput,
  SyncSubscriptionsInput,
  SyncSubscriptionsOutput,
} from '@ait-iap/iap-contract';

export interface ShopApi {
  login(input: LoginInput): Promise<LoginOutput>;
  logout(): Promise<void>;
  catalog(): Promise<CatalogListOutput>;
  fulfill(input: FulfillInput): Promise<FulfillOutput>;
  sync(input: SyncInput): Promise<SyncOutput>;
  syncSubscriptions(input: SyncSubscriptionsInput): Promise<SyncSubscriptionsOutput>;
  inventory(): Promise<InventoryOutput>;
  orders(): Promise<HistoryOutput>;
}
