/** Which client the per-client limits count (login, catalog.list): its address, through X-Forwarded-For, and its key. */
import { describe, expect, test } from 'vitest';
import {
  createClientAddressResolver,
  forwardedChain,
  parseForwardedAddress,
} from '../src/http/client-address';
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

describe('X-Forwarded-For entries', () => {
  test('ip:port and [v6]:port give the address; a zone id and IPv4-mapped forms are normalized', () => {
    expect(parseForwardedAddress('203.0.113.7:50001')).toBe('203.0.113.7');
    expect(parseForwardedAddress(' [2001:db8::1]:443 ')).toBe('2001:db8::1');
    expect(parseForwardedAddress('[2001:db8::1]')).toBe('2001:db8::1');
    expect(parseForwardedAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddressKey(parseForwardedAddress('[2001:db8:1:2::1]:443') as string)).toBe(
      '2001:db8:1:2::/64',
    );
  });

  test('invalid entries are ignored, never a key: garbage, hostnames, half addresses, bad ports', () => {
    for (const junk of [
      'unknown',
      'example.com',
      '203.0.113',
      '2001:db8::1:443x',
      '[2001:db8::1]:99999',
      '',
      '1.2.3.4:',
    ]) {
      expect(parseForwardedAddress(junk)).toBeNull();
    }
    expect(forwardedChain('garbage, 198.51.100.9:1234, [2001:db8::2]:80, nope')).toEqual([
      '198.51.100.9',
      '2001:db8::2',
    ]);
  });
});

describe('the client address behind proxies', () => {
  test('one hop: every source port of one client is one client', () => {
    const resolve = createClientAddressResolver({ trustProxy: 1 });
    const keys = [50001, 50002, 50003].map((port) => resolve('10.0.0.5', `203.0.113.7:${port}`));
    expect(new Set(keys)).toEqual(new Set(['203.0.113.7']));
    expect(clientAddressKey(resolve('10.0.0.5', '[2001:db8:1:2::9]:443'))).toBe('2001:db8:1:2::/64');
  });

  test('an over-counted hop number: once the peer has delivered a real chain, a forged entry is not trusted', () => {
    const shortChains: unknown[] = [];
    // TRUST_PROXY_HOPS=2, but only one load balancer (10.0.0.5) appends to X-Forwarded-For.
    const resolve = createClientAddressResolver({ trustProxy: 2, onShortChain: (d) => shortChains.push(d) });
    expect(resolve('10.0.0.5', '203.0.113.7')).toBe('203.0.113.7'); // an ordinary client
    expect(shortChains).toEqual([{ peer: '10.0.0.5', hops: 2, entries: 1 }]);
    // The attacker writes its own entry; the load balancer appends the address it saw.
    const forged = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((fake) =>
      resolve('10.0.0.5', `${fake}, 203.0.113.66`),
    );
    expect(new Set(forged)).toEqual(new Set(['203.0.113.66']));
    expect(shortChains).toHaveLength(1); // logged once per peer
  });

  test("the load balancer's own health checks (no X-Forwarded-For) do not lower the trusted hop count", () => {
    const shortChains: unknown[] = [];
    const resolve = createClientAddressResolver({ trustProxy: 1, onShortChain: (d) => shortChains.push(d) });
    expect(resolve('10.0.0.5', undefined)).toBe('10.0.0.5');
    expect(resolve('10.0.0.5', '203.0.113.7')).toBe('203.0.113.7');
    expect(resolve('10.0.0.5', '198.51.100.1, 203.0.113.8')).toBe('203.0.113.8');
    expect(shortChains).toEqual([]);
  });

  test('a correct hop count still takes the entry that many hops from the right', () => {
    const resolve = createClientAddressResolver({ trustProxy: 2 });
    expect(resolve('10.0.0.5', '203.0.113.7, 172.16.0.9')).toBe('203.0.113.7');
    expect(resolve('10.0.0.5', '198.51.100.1, 203.0.113.8, 172.16.0.9')).toBe('203.0.113.8');
  });

  test('no trusted proxy: the socket peer, whatever the header says', () => {
    const resolve = createClientAddressResolver({ trustProxy: 0 });
    expect(resolve('::ffff:203.0.113.7', '198.51.100.1')).toBe('203.0.113.7');
  });

  test('trusted subnets: the first untrusted address from the right, ports and junk ignored', () => {
    const resolve = createClientAddressResolver({ trustProxy: ['10.0.0.0/8', 'loopback'] });
    expect(resolve('127.0.0.1', '198.51.100.1, 203.0.113.7:443, junk, 10.1.2.3')).toBe('203.0.113.7');
    expect(resolve('203.0.113.99', '198.51.100.1')).toBe('203.0.113.99'); // not from a trusted proxy
  });
});
