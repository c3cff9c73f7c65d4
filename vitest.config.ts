import { defineConfig } from 'vitest/config';

// Tests import the packages' TypeScript sources through the `source` export condition, so no
// build is needed before `vitest`; child processes started by tests use the same condition.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
