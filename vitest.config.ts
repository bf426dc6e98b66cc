import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file runs in its own process: tests set process-wide settings (HTTPS_PROXY, CA trust) as a
    // user's shell would, and some start emulator processes of their own.
    pool: 'forks',
    // Two files at a time: most tests wait on processes they spawned (emulators, az, kubectl, etcd), so two
    // workers keep 2 cores busy where vitest's default (cores - 1) runs the suite file by file.
    maxWorkers: 2,
    minWorkers: 1,
    globalSetup: ['testkit/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
