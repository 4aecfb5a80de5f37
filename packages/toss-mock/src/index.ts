/**
 * `@ait-iap/toss-mock` (Node): a faithful Toss for dev, tests and CI. The browser side lives in `./host` and
 * `./panel` (separate entries, no Node imports).
 */
export { type DevCerts, ensureDevCerts } from './certs';
export type { MockClock } from './clock';
export {
  ACCESS_TOKEN_TTL_MS,
  AUTH_CODE_TTL_MS,
  type ControlOrderStatus,
  controlOrderStatuses,
  defaultUndocumentedReadings,
  type Fault,
  type FaultKind,
  type MockOrder,
  type MockState,
  type MockSubscription,
  subscriptionActions,
} from './ledger';
export { hashUserKey, removeByUserKeyPath } from './partner-api/endpoints';
export {
  type GrantEnding,
  grantEndings,
  type HistoryReading,
  historyReadings,
  type PurchaseOutcome,
  purchaseOutcomes,
  type StatusAfterComplete,
  statusAfterCompleteReadings,
  type WrongKindPurchase,
  wrongKindPurchaseReadings,
} from './protocol';
export {
  defaultCatalogPath,
  defaultCertDir,
  startTossMock,
  type TossMock,
  type TossMockOptions,
} from './server';
