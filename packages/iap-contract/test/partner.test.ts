import { describe, expect, it } from 'vitest';
import {
  decideGrant,
  LoginMeResponse,
  type OrderStatus,
  OrderStatusResponse,
  orderStatuses,
  TokenResponse,
} from '../src/partner';

describe('status policy', () => {
  it('grants exactly PAYMENT_COMPLETED and PURCHASED', () => {
    const granted = orderStatuses.filter((s) => decideGrant(s) === 'grant');
    expect(granted.sort()).toEqual(['PAYMENT_COMPLETED', 'PURCHASED']);
  });

  it.each<[OrderStatus, string]>([
    ['FAILED', 'hold'],
    ['NOT_FOUND', 'refuse'],
    ['MINIAPP_MISMATCH', 'refuse'],
    ['REFUNDED', 'revoke'],
    ['ORDER_IN_PROGRESS', 'retry'],
    ['ERROR', 'retry'],
  ])('does not count %s as paid (%s)', (status, decision) => {
    expect(decideGrant(status)).toBe(decision);
  });
});

describe('FAILED under the grant-failed reading', () => {
  it('holds a FAILED order the server never saw paid (neither granted nor refused)', () => {
    expect(decideGrant('FAILED')).toBe('hold');
    expect(decideGrant('FAILED', { seenPaid: false })).toBe('hold');
  });

  it('grants a FAILED order that Toss read as paid earlier', () => {
    expect(decideGrant('FAILED', { seenPaid: true })).toBe('grant');
  });

  it('never lets evidence turn another unpaid status into a grant', () => {
    for (const status of [
      'NOT_FOUND',
      'MINIAPP_MISMATCH',
      'REFUNDED',
      'ORDER_IN_PROGRESS',
      'ERROR',
    ] as const) {
      expect(decideGrant(status, { seenPaid: true })).toBe(decideGrant(status));
    }
  });
});

describe('partner envelopes', () => {
  it('parses a success envelope including PAYMENT_COMPLETED', () => {
    const parsed = OrderStatusResponse.parse({
      resultType: 'SUCCESS',
      success: { orderId: 'o1', status: 'PAYMENT_COMPLETED', reason: null },
    });
    expect(parsed.resultType === 'SUCCESS' && parsed.success.status).toBe('PAYMENT_COMPLETED');
  });

  it('parses a failure envelope and rejects an unknown status or result type', () => {
    const failed = OrderStatusResponse.parse({
      resultType: 'FAIL',
      error: { errorCode: 'X', reason: 'nope' },
    });
    expect(failed.resultType === 'FAIL' && failed.error.errorCode).toBe('X');
    expect(
      OrderStatusResponse.safeParse({ resultType: 'SUCCESS', success: { orderId: 'o', status: 'PAID' } })
        .success,
    ).toBe(false);
    expect(OrderStatusResponse.safeParse({ resultType: 'OK', success: {} }).success).toBe(false);
  });

  it('reads login-me tolerantly: extra fields kept, scope optional, userKey must be an integer', () => {
    const parsed = LoginMeResponse.parse({
      resultType: 'SUCCESS',
      success: { userKey: 443731104, scope: 'user_key,user_name,new_scope', name: null, ci: 'enc' },
    });
    expect(parsed.resultType === 'SUCCESS' && parsed.success.userKey).toBe(443731104);
    expect(LoginMeResponse.safeParse({ resultType: 'SUCCESS', success: { userKey: 'abc' } }).success).toBe(
      false,
    );
  });

  it('requires an access token in the token response', () => {
    expect(
      TokenResponse.safeParse({
        resultType: 'SUCCESS',
        success: { tokenType: 'Bearer', refreshToken: 'r', expiresIn: 3600 },
      }).success,
    ).toBe(false);
  });
});
