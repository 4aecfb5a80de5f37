/** The device's storage for this mini-app (`Storage` in the SDK), kept in the page's localStorage. Browser-safe. */

/** Where the SDK's `Storage` items live in the page's localStorage (the mock's own keys stay out of it). */
export const DEVICE_STORAGE_PREFIX = 'toss-mock:storage:';

/** The page's localStorage, or null when it has none usable (some sandboxes throw on access). */
export function localStorageOf(win: Window): Storage | null {
  try {
    return win.localStorage ?? null;
  } catch {
    return null;
  }
}

export type DeviceStorage = ReturnType<typeof createDeviceStorage>;

export function createDeviceStorage(storage: () => Storage | null) {
  const memoryStorage = new Map<string, string>(); // when the page has no usable localStorage
  return {
    get(key: string): string | null {
      const local = storage();
      return local ? local.getItem(DEVICE_STORAGE_PREFIX + key) : (memoryStorage.get(key) ?? null);
    },
    set(key: string, value: string): void {
      const local = storage();
      if (local) local.setItem(DEVICE_STORAGE_PREFIX + key, value);
      else memoryStorage.set(key, value);
    },
    remove(key: string): void {
      const local = storage();
      if (local) local.removeItem(DEVICE_STORAGE_PREFIX + key);
      else memoryStorage.delete(key);
    },
    clear(): void {
      memoryStorage.clear();
      const local = storage();
      if (!local) return;
      const keys: string[] = [];
      for (let i = 0; i < local.length; i++) {
        const key = local.key(i);
        if (key?.startsWith(DEVICE_STORAGE_PREFIX)) keys.push(key);
      }
      for (const key of keys) local.removeItem(key);
    },
  };
}
