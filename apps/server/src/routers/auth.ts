/** `auth.login` (Toss authorization code → our session) and `auth.logout`. Logic: src/auth/sessions.ts. */
import { LoginInput, LoginOutput } from '@ait-iap/iap-contract';
import { z } from 'zod';
import { login, logout } from '../auth/sessions';
import { authedProcedure, publicProcedure, rateLimited, router } from '../trpc';

export const authRouter = router({
  login: publicProcedure
    .use(rateLimited((limits) => limits.login))
    .input(LoginInput)
    .output(LoginOutput)
    .mutation(({ ctx, input }) => login(ctx.deps, input)),
  logout: authedProcedure
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx }) => logout(ctx.deps, ctx.session)),
});
