// Test setup: React Testing Library cleanup between tests (unmount → the purchase hook's cleanup runs).
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});
