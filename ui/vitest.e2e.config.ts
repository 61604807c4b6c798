import { defineConfig } from 'vitest/config';

// Page flows: the built dist/ in headless Chromium (playwright-core), Tauri IPC mocked in the page.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    // One Chromium at a time: the machine has two cores.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
