// Test setup: React Testing Library cleanup between tests (unmount → the purchase hook's cleanup runs).
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});

// The real stack answers in tens to hundreds of milliseconds; give async queries room on a busy 2-core machine.
configure({ asyncUtilTimeout: 8_000 });
