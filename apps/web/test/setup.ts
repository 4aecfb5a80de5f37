// Test setup. Each file unmounts what it rendered (cleanup) itself: some files keep one app for several tests.
import { configure } from '@testing-library/react';

// The real stack answers in tens to hundreds of milliseconds; give async queries room on a busy 2-core machine.
configure({ asyncUtilTimeout: 8_000 });
