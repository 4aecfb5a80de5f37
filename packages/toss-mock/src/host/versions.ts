/**
 * The Toss app versions the mock plays, by what they can do for in-app purchases (minimums from iap-contract's
 * `minTossAppVersions`, read from the SDK 2.10.8). Browser-safe. Pick one with the host's `appVersion`, the panel's
 * "토스 앱 버전", or `?mockTossVersion=` in the mini-app's URL. Add a row when Toss ships a version that changes what
 * a purchase can rely on.
 */
export interface TossVersionScenario {
  id: string;
  /** What the panel shows. */
  label: string;
  android: string;
  ios: string;
  /** What a purchase can rely on in this version. */
  what: string;
}

export const tossVersionScenarios = [
  {
    id: 'current',
    label: '최신 (모든 기능)',
    android: '5.250.0',
    ios: '5.250.0',
    what: 'everything: grant answer, getPendingOrders, completeProductGrant, subscriptions',
  },
  {
    id: 'grant-answer-no-pending',
    label: '지급 응답 O · 미결 주문 조회 X',
    android: '5.232.0',
    ios: '5.230.0',
    what:
      'Toss takes the grant answer, but has no getPendingOrders and no completeProductGrant (Android 5.231.1–5.232.x, ' +
      'iOS 5.230.x): an order whose grant callback never ran is in no list the app can read',
  },
  {
    id: 'complete-no-pending',
    label: '완료 처리 O · 미결 주문 조회 X (Android)',
    android: '5.233.0',
    ios: '5.230.0',
    what: 'Android 5.233.x: completeProductGrant exists, getPendingOrders does not (iOS has no such version)',
  },
  {
    id: 'legacy-purchase',
    label: '구형 결제 (지급 응답 없음)',
    android: '5.225.0',
    ios: '5.225.0',
    what: 'the legacy one-call purchase: Toss never receives the grant answer (below Android 5.231.1 / iOS 5.230.0)',
  },
  {
    id: 'no-iap',
    label: '인앱결제 없음',
    android: '5.200.0',
    ios: '5.200.0',
    what: 'below 5.219.0: the SDK turns purchases into a silent no-op',
  },
] as const satisfies readonly TossVersionScenario[];

export type TossVersionScenarioId = (typeof tossVersionScenarios)[number]['id'];

/** The version a scenario plays on a platform. */
export function versionOf(id: TossVersionScenarioId, platform: 'android' | 'ios'): string {
  const scenario = tossVersionScenarios.find((s) => s.id === id);
  if (!scenario) throw new Error(`unknown Toss version scenario ${id}`);
  return scenario[platform];
}

/** Numeric x.y.z comparison (what isMinVersionSupported does for plain versions). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
