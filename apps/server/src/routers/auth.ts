/**
 * `auth.login` (Toss authorization code → our session) and `auth.logout`. Logic: src/auth/sessions.ts.
 * Login order: validate the input (a malformed call or a code no OAuth server issues costs no tokens), then the
 * caller's own limit (per client address), then the ceiling shared by everyone (`loginCeiling`), then Toss.
 */
import { LoginInput, LoginOutput } from '@ait-iap/iap-contract';
import { z } from 'zod';
import { login, logout } from '../auth/sessions';
import { authedProcedure, loginCeiling, publicProcedure, rateLimited, router } from '../trpc';

/**
 * Toss does not document the authorization code's format, so only what OAuth 2.0 allows any code to be is checked
 * (RFC 6749 A.11: visible ASCII and space) within the contract's length: anything else is junk refused by validation,
 * before it costs the caller a token or Toss a call. Never stricter than that: a real code must never be refused here.
 */
const ServerLoginInput = LoginInput.extend({
  authorizationCode: LoginInput.shape.authorizationCode.regex(/^[\x20-\x7e]+$/, {
    message: 'authorizationCode: not an OAuth authorization code (visible ASCII only)',
  }),
});

export const authRouter = router({
  login: publicProcedure
    .input(ServerLoginInput)
    .use(rateLimited((limits) => limits.login))
    .use(loginCeiling)
    .output(LoginOutput)
    .mutation(({ ctx, input }) => login(ctx.deps, input)),
  logout: authedProcedure
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx }) => logout(ctx.deps, ctx.session)),
});
