/** Which part of a client's address the per-client limits count (login, catalog.list). */
import { expect, test } from 'vitest';
import { clientAddressKey } from '../src/http/rate-limit';

test('an IPv4 client is its address, also when it arrives IPv4-mapped', () => {
  expect(clientAddressKey('203.0.113.7')).toBe('203.0.113.7');
  expect(clientAddressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
});

test('every address of one IPv6 /64 is one client: rotating addresses does not buy fresh login tokens', () => {
  const keys = [
    '2001:db8:1:2::1',
    '2001:db8:1:2:ffff:ffff:ffff:fffe',
    '2001:0db8:0001:0002:abcd::9',
    '2001:db8:1:2::1%eth0',
  ].map(clientAddressKey);
  expect(new Set(keys)).toEqual(new Set(['2001:db8:1:2::/64']));
  expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(keys[0]);
  expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
});
