/**
 * `auth.login` (Toss authorization code → our session) and `auth.logout`. Logic: src/auth/sessions.ts.
 * Login order: validate the input (a malformed call costs no tokens), then the caller's own limit (per client
 * address), then the limit shared by everyone (the last line), then Toss.
 */
import { LoginInput, LoginOutput } from '@ait-iap/iap-contract';
import { z } from 'zod';
import { login, logout } from '../auth/sessions';
import { authedProcedure, globallyLimited, publicProcedure, rateLimited, router } from '../trpc';

export const authRouter = router({
  login: publicProcedure
    .input(LoginInput)
    .use(rateLimited((limits) => limits.login))
    .use(globallyLimited((limits) => limits.loginGlobal, 'login'))
    .output(LoginOutput)
    .mutation(({ ctx, input }) => login(ctx.deps, input)),
  logout: authedProcedure
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx }) => logout(ctx.deps, ctx.session)),
});
