import { defineConfig } from 'vitest/config';

// Three tiers (see README): pure unit tests next to the code, integration tests per package against
// real Redis/Postgres, and cross-service end-to-end suites in test/.
const resolve = { conditions: ['@callpipe/source'] };

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        resolve,
        ssr: { resolve: { conditions: ['@callpipe/source'] } },
        test: { name: 'unit', include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'test/static/**/*.test.ts'] },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['@callpipe/source'] } },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts'],
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          setupFiles: ['packages/testkit/src/leak-check.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['@callpipe/source'] } },
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['packages/testkit/src/global-setup.ts'],
          setupFiles: ['packages/testkit/src/leak-check.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['@callpipe/source'] } },
        test: {
          // Starts its own Redis and PostgreSQL; needs no REDIS_URL/DATABASE_URL. `pnpm test` runs it
          // after the other tiers, alone, so their load does not distort its timing.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
