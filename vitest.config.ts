import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own process: tests set process-wide settings (HTTPS_PROXY, CA trust) as a
    // user's shell would, and some start emulator processes of their own.
    pool: 'forks',
    globalSetup: ['testkit/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
