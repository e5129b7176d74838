import { afterAll, inject } from 'vitest';
import { connectionBaseline, describeLeaks, leakedConnections, type LeakedConnection } from './leaks.ts';
import { waitFor } from './wait-for.ts';
import './provided-context.ts';

// A setup file of the integration and e2e projects: a test file fails when it leaves a Redis or
// Postgres connection open (a pool not destroyed, a client not quit), like graphile-worker's
// afterEach check. Per file, not per test: test files share a pool or a queue connection between
// their tests by design and close it in afterAll, so only the end of the file says whether it
// leaked. The baseline is taken here, before the test file is imported, so connections opened at
// module level count too; this hook, registered first, runs after the file's own afterAll hooks.
const target = { redisUrl: inject('redisUrl'), databaseServerUrl: inject('databaseServerUrl') };
const baseline = connectionBaseline(target);

afterAll(async () => {
  if (!baseline) return; // not Linux: no socket table to read
  let leaks: LeakedConnection[] = [];
  // A client that was just closed may still be shutting its socket: give it a moment, not a fixed one.
  await waitFor(async () => (leaks = await leakedConnections(target, baseline)).length === 0, {
    timeoutMs: 3_000,
    what: 'connections to close',
  }).catch(() => undefined);
  if (leaks.length > 0)
    throw new Error(
      `this test file left ${leaks.length} Redis/Postgres connection(s) open; close every pool and client it opens (db.destroy(), redis.quit()):\n${describeLeaks(leaks)}`,
    );
});
