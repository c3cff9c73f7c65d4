import { defineConfig } from 'vitest/config';

// The cluster soak (test/soak/*.soak.ts): minutes long, so outside the default run's
// `*.test.ts`; `npm run test:soak` runs it, and scripts/test-all.sh (CI) runs that. The same
// `source` condition as vitest.config.ts (no mergeConfig: it would append to `include`).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
