import { describe, expect, it } from 'vitest';
import { appErrorCopy, fulfillReasonCopy } from '../src/api';
import { iapErrorCodes, iapErrorInfo, toIapError } from '../src/errors';

/** Every Korean string the contract gives the mini-app. */
const allCopy = (): [string, string][] => [
  ...Object.entries(iapErrorInfo).flatMap(([code, info]): [string, string][] => [
    [`${code}.title`, info.title],
    [`${code}.description`, info.description],
  ]),
  ...Object.entries(fulfillReasonCopy),
  ...Object.entries(appErrorCopy),
];

describe('copy that promises only what will happen', () => {
  it('never promises an automatic grant: under the grant-failed reading a paid order may be held for a person', () => {
    for (const [key, text] of allCopy()) expect(text, key).not.toMatch(/자동으로 지급|지급돼요/);
  });

  it('a title agrees with its description: a failure is not called a delay', () => {
    for (const [code, info] of Object.entries(iapErrorInfo)) {
      if (/실패|못해|못했/.test(info.description)) expect(info.title, code).not.toMatch(/늦어지/);
    }
    expect(iapErrorInfo.APP_MARKET_VERIFICATION_FAILED.title).toBe('결제를 확인하지 못했어요');
  });

  it('one state, one phrase: every paid order the app re-checks by itself reads the same', () => {
    expect(iapErrorInfo.TOSS_SERVER_VERIFICATION_FAILED.title).toBe(
      iapErrorInfo.PRODUCT_NOT_GRANTED_BY_PARTNER.title,
    );
    expect(iapErrorInfo.TOSS_SERVER_VERIFICATION_FAILED.description).toBe(
      iapErrorInfo.PRODUCT_NOT_GRANTED_BY_PARTNER.description,
    );
  });

  it('speaks to the buyer, not the operator, and writes no particle by hand', () => {
    for (const [key, text] of allCopy()) {
      expect(text, key).not.toMatch(/회수/);
      expect(text, key).not.toMatch(/\((을|를|이|가|은|는|과|와|으로|로|이나|나)\)/);
    }
  });
});

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
