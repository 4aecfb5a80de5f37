import { describe, expect, it } from 'vitest';
import { iapErrorCodes, iapErrorInfo, toIapError } from '../src/errors';

describe('SDK error codes', () => {
  it('has Korean copy, an English description and a next action for all 11 codes', () => {
    expect(iapErrorCodes).toHaveLength(11);
    for (const code of iapErrorCodes) {
      const info = iapErrorInfo[code];
      expect(info.title, code).toMatch(/[가-힣]/);
      expect(info.description, code).toMatch(/[가-힣]/);
      expect(info.developerMessage, code).toMatch(/^[\x20-\x7E]+$/);
      expect(['retry', 'wait', 'none', 'contact', 'owned', 'update']).toContain(info.action);
    }
  });

  it('maps what a user can do next for the codes that matter most', () => {
    expect(iapErrorInfo.ITEM_ALREADY_OWNED.action).toBe('owned');
    expect(iapErrorInfo.USER_CANCELED.action).toBe('none');
    expect(iapErrorInfo.NETWORK_ERROR.action).toBe('retry');
    expect(iapErrorInfo.PAYMENT_PENDING.action).toBe('wait');
    expect(iapErrorInfo.PRODUCT_NOT_GRANTED_BY_PARTNER.action).toBe('contact');
  });
});

describe('toIapError', () => {
  it('reads the code the 2.x SDK copies onto its Error', () => {
    const error = Object.assign(new Error('User canceled'), { code: 'USER_CANCELED' });
    expect(toIapError(error)).toMatchObject({
      code: 'USER_CANCELED',
      action: 'none',
      rawMessage: 'User canceled',
    });
  });

  it('copes with a bare Error without code (SDK 3.x) by reading the message', () => {
    expect(toIapError(new Error('failed: ITEM_ALREADY_OWNED')).code).toBe('ITEM_ALREADY_OWNED');
    expect(toIapError(new Error('something odd')).code).toBe('UNKNOWN');
  });

  it('treats undefined from an old Toss app as an unsupported version, not a crash', () => {
    expect(toIapError(undefined).code).toBe('UNSUPPORTED_APP_VERSION');
    expect(toIapError(null).code).toBe('UNSUPPORTED_APP_VERSION');
  });

  it('recognises a page outside Toss', () => {
    expect(toIapError(new Error('ReactNativeWebView is not available')).code).toBe('HOST_UNAVAILABLE');
  });

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(toIapError(hostile).code).toBe('UNKNOWN');
    expect(toIapError(42).code).toBe('UNKNOWN');
    expect(toIapError({ code: 'NOT_A_CODE' }).code).toBe('UNKNOWN');
    expect(toIapError('USER_CANCELED').code).toBe('USER_CANCELED');
  });
});
