/**
 * The API: this file only composes routers. The mini-app imports its TYPE:
 *   import type { AppRouter } from '@ait-iap/server/router';
 * Procedures: auth.login, auth.logout, catalog.list, iap.fulfill, iap.sync, iap.syncSubscriptions, me.inventory,
 * me.orders.
 * To add an area, write `src/routers/<area>.ts` and add it here.
 */
import { authRouter } from './routers/auth';
import { catalogRouter } from './routers/catalog';
import { iapRouter } from './routers/iap';
import { meRouter } from './routers/me';
import { router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  iap: iapRouter,
  me: meRouter,
});

export type AppRouter = typeof appRouter;
