/** The console's shell: sign-in gate (`operator.me`), navigation, and the screen the hash route names. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { href, type Route, useRoute } from './route';
import { Audit } from './screens/Audit';
import { Inbox } from './screens/Inbox';
import { Login } from './screens/Login';
import { Order } from './screens/Order';
import { Search } from './screens/Search';
import { Settlement } from './screens/Settlement';
import { User } from './screens/User';
import { isUnauthorized, useTRPC } from './trpc';
import { ErrorLine } from './ui/parts';

const nav: Array<{ screen: Route['screen']; label: string; to: string }> = [
  { screen: 'inbox', label: '확인 필요', to: href.inbox() },
  { screen: 'search', label: '검색', to: href.search() },
  { screen: 'audit', label: '감사 로그', to: href.audit() },
  { screen: 'settlement', label: '정산 확인', to: href.settlement() },
];

export function App() {
  const trpc = useTRPC();
  const me = useQuery({ ...trpc.operator.me.queryOptions(), retry: false });
  const route = useRoute();
  if (me.isPending) return <p className="muted pad">불러오는 중…</p>;
  if (me.error && isUnauthorized(me.error)) return <Login />;
  if (me.error || !me.data) return <ErrorLine error={me.error} />;
  const canDecide = me.data.role === 'approver';
  return (
    <div className="shell">
      <Header name={me.data.name} role={me.data.role} route={route} />
      <main className="content">
        <Screen route={route} canDecide={canDecide} />
      </main>
    </div>
  );
}

function Header({ name, role, route }: { name: string; role: string; route: Route }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [query, setQuery] = useState('');
  const logout = useMutation(
    trpc.operator.logout.mutationOptions({ onSettled: () => queryClient.resetQueries() }),
  );
  return (
    <header className="top">
      <strong className="brand">운영 콘솔</strong>
      <nav>
        {nav.map((item) => (
          <a
            key={item.screen}
            href={item.to}
            aria-current={route.screen === item.screen ? 'page' : undefined}
          >
            {item.label}
          </a>
        ))}
      </nav>
      <form
        className="quick-search"
        onSubmit={(event) => {
          event.preventDefault();
          if (query.trim()) window.location.hash = href.search(query.trim());
        }}
      >
        <input
          aria-label="주문·참조 번호, 사용자 검색"
          placeholder="참조 번호 · 주문 · 사용자"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
      </form>
      <span className="who">
        {name} · {role === 'approver' ? '승인 권한' : '조회 권한'}{' '}
        <button type="button" className="link-button" onClick={() => logout.mutate()}>
          로그아웃
        </button>
      </span>
    </header>
  );
}

function Screen({ route, canDecide }: { route: Route; canDecide: boolean }) {
  switch (route.screen) {
    case 'inbox':
      return <Inbox />;
    case 'search':
      return <Search key={route.query} initialQuery={route.query} />;
    case 'order':
      return <Order key={route.orderId} orderId={route.orderId} canDecide={canDecide} />;
    case 'user':
      return <User key={route.userId} userId={route.userId} canDecide={canDecide} />;
    case 'audit':
      return <Audit />;
    case 'settlement':
      return <Settlement />;
  }
}
