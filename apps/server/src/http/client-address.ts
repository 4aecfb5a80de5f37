/**
 * The client's address, the key of the per-client limits: the socket's peer, or — behind trusted proxies
 * (TRUST_PROXY_HOPS / TRUST_PROXY_SUBNETS) — the address the outermost trusted proxy saw, read from X-Forwarded-For.
 * Entries are parsed strictly: `ip`, `ip:port` and `[v6]:port` give the address; anything else is ignored (never a
 * fresh bucket per source port, never a half-parsed key). A hop count higher than the real chain must not let a
 * client's own X-Forwarded-For choose its key: for each peer, the shortest chain (of at least one entry) it has ever
 * delivered bounds how many entries are trusted (a real chain of N proxies always appends N entries), and the first
 * short chain is logged. A request with no entry (a health check from the proxy itself) is keyed on the peer and
 * teaches nothing.
 * You probably don't need to edit this file.
 */
import { BlockList, isIP } from 'node:net';
import type { Clock } from '../clock';
import type { Logger } from '../log';

/** `203.0.113.7`, `203.0.113.7:50001`, `2001:db8::1`, `[2001:db8::1]:443`, `::ffff:1.2.3.4` → the address, else null. */
export function parseForwardedAddress(entry: string): string | null {
  let value = entry.trim();
  const withPort =
    /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value);
  if (withPort) {
    if (withPort[2] !== undefined && Number(withPort[2]) > 65_535) return null;
    value = withPort[1] as string;
  }
  const zoneless = value.split('%')[0] ?? value;
  if (isIP(zoneless) === 0) return null;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(zoneless);
  return mapped ? (mapped[1] as string) : zoneless.toLowerCase();
}

/** Every well-formed address of the X-Forwarded-For header(s), nearest proxy's entry LAST (as proxies append). */
export function forwardedChain(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values
    .flatMap((value) => value.split(','))
    .map(parseForwardedAddress)
    .filter((address): address is string => address !== null);
}

const namedRanges: Record<string, Array<[string, number]>> = {
  loopback: [
    ['127.0.0.0', 8],
    ['::1', 128],
  ],
  linklocal: [
    ['169.254.0.0', 16],
    ['fe80::', 10],
  ],
  uniquelocal: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['fc00::', 7],
  ],
};

/** A BlockList of the trusted proxies (config.ts has already refused anything malformed or /0). */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const ranges = namedRanges[entry] ?? [entry.split('/') as [string, string?]];
    for (const [address, prefix] of ranges) {
      const type = isIP(String(address)) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) list.addAddress(String(address), type);
      else list.addSubnet(String(address), Number(prefix), type);
    }
  }
  return list;
}

export interface ClientAddressOptions {
  /** TRUST_PROXY_HOPS (a number, 0 = no proxy) or TRUST_PROXY_SUBNETS (the list). */
  trustProxy: number | readonly string[];
  /** Called once per peer whose chain is shorter than the hop count (the configuration over-counts). */
  onShortChain?: (detail: { peer: string; hops: number; entries: number }) => void;
  /** Peers remembered for the shortest-chain bound (oldest forgotten first). */
  maxPeers?: number;
}

export type ClientAddressResolver = (
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
) => string;

export function createClientAddressResolver(options: ClientAddressOptions): ClientAddressResolver {
  const { trustProxy } = options;
  if (typeof trustProxy !== 'number') {
    const trusted = trustedProxyList(trustProxy);
    const isTrusted = (address: string) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
    return (rawPeer, header) => {
      const peer = parseForwardedAddress(rawPeer ?? '') ?? 'unknown';
      if (peer === 'unknown' || !isTrusted(peer)) return peer;
      const chain = forwardedChain(header);
      let client = peer;
      for (let i = chain.length - 1; i >= 0; i--) {
        client = chain[i] as string;
        if (!isTrusted(client)) return client;
      }
      return client;
    };
  }
  const hops = trustProxy;
  const maxPeers = options.maxPeers ?? 10_000;
  const shortest = new Map<string, number>();
  return (rawPeer, header) => {
    const peer = parseForwardedAddress(rawPeer ?? '') ?? 'unknown';
    if (hops === 0) return peer;
    const chain = forwardedChain(header);
    // No entry at all: not a proxied request (the load balancer's own health check, a direct connection). Its key is
    // the peer, and it teaches nothing about the chain's length.
    if (chain.length === 0) return peer;
    const seen = shortest.get(peer);
    if (seen === undefined || chain.length < seen) {
      if (seen === undefined && shortest.size >= maxPeers) {
        const oldest = shortest.keys().next().value;
        if (oldest !== undefined) shortest.delete(oldest);
      }
      shortest.set(peer, chain.length);
      if (chain.length < hops && (seen === undefined || seen >= hops)) {
        options.onShortChain?.({ peer, hops, entries: chain.length });
      }
    }
    // Trust no more entries than this peer's shortest chain: with an over-counted hop number, the extra trusted
    // entry would be the client's own.
    const trustedEntries = Math.min(hops, shortest.get(peer) ?? chain.length);
    return chain[chain.length - trustedEntries] ?? peer;
  };
}

/** `onShortChain` for the server: a `proxy.short_chain` warning, at most once a minute. */
export function shortChainLogger(
  log: Logger,
  clock: Clock,
): NonNullable<ClientAddressOptions['onShortChain']> {
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  return (detail) => {
    const now = clock.now();
    if (now - lastLoggedAt < 60_000) return;
    lastLoggedAt = now;
    log.warn('proxy.short_chain', {
      ...detail,
      message:
        'a request carried fewer X-Forwarded-For entries than TRUST_PROXY_HOPS: the hop count is too high (or a proxy is reached without the ones before it); that peer is trusted for fewer hops',
    });
  };
}
