import { defineConfig } from 'vitest/config';

// Tests that trace workloads must run on the main thread of their process (only the
// tracer thread may call ptrace; SIGCHLD never reaches a Worker), hence forks.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/host-devices-guard.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
