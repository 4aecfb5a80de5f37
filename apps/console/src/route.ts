/** Hash routes (`#/order/<id>`), so every screen has a link that survives a reload and the server needs no routes. */
import { useEffect, useState } from 'react';

export type Route =
  | { screen: 'inbox' }
  | { screen: 'search'; query: string }
  | { screen: 'order'; orderId: string }
  | { screen: 'user'; userId: string }
  | { screen: 'audit' }
  | { screen: 'settlement' };

export function parseRoute(hash: string): Route {
  const [, screen = '', rest = ''] = /^#\/([^/?]*)\/?(.*)$/.exec(hash) ?? [];
  const arg = decodeURIComponent(rest);
  switch (screen) {
    case 'search':
      return { screen: 'search', query: arg };
    case 'order':
      return arg ? { screen: 'order', orderId: arg } : { screen: 'inbox' };
    case 'user':
      return arg ? { screen: 'user', userId: arg } : { screen: 'inbox' };
    case 'audit':
      return { screen: 'audit' };
    case 'settlement':
      return { screen: 'settlement' };
    default:
      return { screen: 'inbox' };
  }
}

export const href = {
  inbox: () => '#/inbox',
  search: (query = '') => `#/search/${encodeURIComponent(query)}`,
  order: (orderId: string) => `#/order/${encodeURIComponent(orderId)}`,
  user: (userId: string) => `#/user/${encodeURIComponent(userId)}`,
  audit: () => '#/audit',
  settlement: () => '#/settlement',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
