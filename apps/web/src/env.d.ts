/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Fulfillment server base URL (tRPC lives at `${VITE_API_URL}/trpc`). Default http://127.0.0.1:3000. */
  readonly VITE_API_URL?: string;
  /** '1' compiles the toss-mock host and dev panel into a production build (e2e only). */
  readonly VITE_TOSS_MOCK?: string;
  /** How long processProductGrant may take to answer Toss, in ms (default 25000, at most 28000; Toss waits 30 s). */
  readonly VITE_GRANT_WINDOW_MS?: string;
  /**
   * Your team's support page ("고객센터 문의"). `{ref}` in it is replaced by the order's short reference; without it
   * the reference is added as `?ref=`. Default: copy.ts `supportUrl`.
   */
  readonly VITE_SUPPORT_URL?: string;
  /** toss-mock's scenario control URL. Default http://127.0.0.1:3101. */
  readonly VITE_TOSS_MOCK_CONTROL_URL?: string;
}

interface Window {
  /** Present only inside the Toss app (or when the toss-mock host is installed). */
  ReactNativeWebView?: { postMessage(message: string): void };
}
