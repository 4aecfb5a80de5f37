/** Who the host acts as: the option, else `?mockUser=`, else localStorage, else a new user from the mock. */
import type { ControlClient } from './control-client';

const STORAGE_KEY = 'toss-mock:userKey';

export interface IdentityDeps {
  win: Window;
  control: ControlClient;
  storage: () => Storage | null;
  /** The `userKey` option. */
  userKey?: number;
}

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentity({ win, control, storage, userKey: fixed }: IdentityDeps) {
  let currentUser: number | undefined;
  function initialUser(): number | undefined {
    if (fixed !== undefined) return fixed;
    const fromUrl = Number(new URLSearchParams(win.location?.search ?? '').get('mockUser'));
    if (Number.isInteger(fromUrl) && fromUrl > 0) return fromUrl;
    const stored = Number(storage()?.getItem(STORAGE_KEY));
    if (Number.isInteger(stored) && stored > 0) return stored;
    return undefined;
  }
  async function useUser(userKey: number | undefined): Promise<number> {
    const created = await control.post<{ userKey: number }>(
      '/__mock/users',
      userKey === undefined ? {} : { userKey },
    );
    currentUser = created.userKey;
    storage()?.setItem(STORAGE_KEY, String(created.userKey));
    return created.userKey;
  }
  let ready = useUser(initialUser());
  ready.catch(() => {}); // surfaced to the SDK caller that needs it
  return {
    get ready() {
      return ready;
    },
    current: () => currentUser,
    /** Act as another user (a new one when omitted). */
    switchUser(userKey?: number): Promise<number> {
      ready = useUser(userKey);
      return ready;
    },
    /** The user, retrying once more if the mock was not reachable when the host was installed. */
    async user(): Promise<number> {
      try {
        return await ready;
      } catch {
        ready = useUser(currentUser ?? initialUser());
        return ready;
      }
    },
  };
}
