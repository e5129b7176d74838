import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { connectionBaseline, leakedConnections, testContext } from '@callpipe/testkit';

// The leak check must see what a test leaves open, and a file that leaks must fail.
const { redisUrl, databaseServerUrl } = testContext();
const target = { redisUrl, databaseServerUrl };
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe.runIf(connectionBaseline(target))('leak check', () => {
  it('when a Postgres client and a Redis client are left open, then it reports both, with what the servers say of them', async () => {
    const baseline = connectionBaseline(target)!;
    const client = new pg.Client({ connectionString: databaseServerUrl, application_name: 'callpipe-test-leaky' });
    const redis = new Redis(redisUrl, { connectionName: 'callpipe-test-leaky' });
    try {
      await client.connect();
      await redis.ping();
      const leaks = await leakedConnections(target, baseline);
      expect(leaks.map((leak) => leak.server).sort()).toEqual(['postgres', 'redis']);
      expect(leaks.find((leak) => leak.server === 'postgres')!.detail).toContain("application_name 'callpipe-test-leaky'");
      expect(leaks.find((leak) => leak.server === 'redis')!.detail).toContain("client name 'callpipe-test-leaky'");
    } finally {
      await client.end();
      await redis.quit();
    }
  });

  it('when the clients are closed, then it reports nothing', async () => {
    const baseline = connectionBaseline(target)!;
    const client = new pg.Client({ connectionString: databaseServerUrl });
    await client.connect();
    await client.end();
    expect(await leakedConnections(target, baseline)).toEqual([]);
  });

  it('when a test file leaves a connection open, then that file fails and the error names the connection', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/vitest/vitest.mjs', 'run', '--project', 'integration', 'packages/testkit/test/leaky-file.fixture.test.ts'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        // This run's own Redis and Postgres, whether they came from the environment or testcontainers.
        env: { REDIS_URL: redisUrl, DATABASE_URL: databaseServerUrl, CALLPIPE_LEAK_FIXTURE: '1' },
        timeout: 120_000,
      },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).not.toBe(0);
    expect(output).toContain('left 1 Redis/Postgres connection(s) open');
    expect(output).toContain("client name 'callpipe-test-leaky-fixture'");
  }, 120_000);
});
