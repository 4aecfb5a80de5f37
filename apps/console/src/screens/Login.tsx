/** Sign in with the operator account made by `ops operator add` (the session is an HttpOnly cookie). */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../trpc';
import { ErrorLine } from '../ui/parts';

export function Login() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation(
    trpc.operator.login.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(),
    }),
  );
  return (
    <main className="login">
      <form
        className="card"
        onSubmit={(event) => {
          event.preventDefault();
          login.mutate({ name: name.trim(), password });
        }}
      >
        <h1>운영 콘솔 로그인</h1>
        <label className="field">
          <span>운영자 이름</span>
          <input
            name="name"
            autoComplete="username"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
          />
        </label>
        <label className="field">
          <span>비밀번호</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <ErrorLine error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending || !name.trim() || !password}>
          {login.isPending ? '로그인 중…' : '로그인'}
        </button>
        <p className="muted small">
          계정은 서버에서 pnpm --filter @ait-iap/server ops operator add 로 만들어요. 개발 중에는 pnpm dev
          배너에 나온 dev 계정으로 로그인하세요.
        </p>
      </form>
    </main>
  );
}
