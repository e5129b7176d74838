import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, listPartitions } from '@callpipe/db';
import { databaseUrlFor, dropDatabase, testContext } from '@callpipe/testkit';
import { callpipe, connectionCounter, countedEnv, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

// The good invocations of ingest, worker and start run elsewhere on the real entry point:
// services/ingest/test/security.test.ts (ingest), test/e2e/queue-ui.test.ts (migrate, worker),
// test/e2e/pipeline.test.ts and observability.test.ts (start).
const context = testContext();
let counter: Awaited<ReturnType<typeof connectionCounter>>;
let spoolDir: string;

beforeAll(async () => {
  counter = await connectionCounter();
  spoolDir = await mkdtemp(join(tmpdir(), 'callpipe-cli-spool-'));
});
afterAll(async () => {
  await counter.close();
  await rm(spoolDir, { recursive: true, force: true });
});

describe.each(['migrate', 'ingest', 'worker', 'start'])('callpipe %s', (command) => {
  it.each(['--help', '-h'])(
    'when given %s, then it prints its usage and exits 0 without reading the env or connecting anywhere',
    async (flag) => {
      const result = await callpipe([command, flag], countedEnv(counter.port, spoolDir));
      expectHelp(result, `callpipe ${command} [options]`);
      expect(counter.connections()).toBe(0);
      expect(await readdir(spoolDir)).toEqual([]);
      expectHelp(await callpipe([command, flag], refusedEnv), `callpipe ${command} [options]`);
    },
  );

  it('when given an unknown option or an argument, then it exits 2 with one line on stderr and starts nothing', async () => {
    expectUsageError(await callpipe([command, '--bogus'], countedEnv(counter.port, spoolDir)), "unknown option '--bogus'");
    expectUsageError(await callpipe([command, 'now'], countedEnv(counter.port, spoolDir)), `too many arguments for '${command}'`);
    expect(counter.connections()).toBe(0);
  });
});

describe('callpipe migrate', () => {
  it('when run against a database that does not exist, then it creates and migrates it and exits 0', async () => {
    const name = `callpipe_cli_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const url = databaseUrlFor(context.databaseServerUrl, name);
    try {
      const result = await callpipe(['migrate'], { DATABASE_URL: url, CALLPIPE_PARTITIONS_AHEAD_DAYS: '1' });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('"msg":"database created"');
      const db = createDatabase({ connectionString: url, poolSize: 1 });
      try {
        expect(await listPartitions(db, 'cdrs')).toHaveLength(3);
      } finally {
        await db.destroy();
      }
    } finally {
      await dropDatabase(context.databaseServerUrl, name);
    }
  });

  it('when its configuration is invalid, then it exits 1 with the message naming the variable', async () => {
    const result = await callpipe(['migrate'], { CALLPIPE_RETENTION_DAYS: 'a year' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CALLPIPE_RETENTION_DAYS');
  });

  it('when Postgres cannot be reached, then it exits 1 with `callpipe: <message>` on stderr', async () => {
    const result = await callpipe(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/callpipe' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^callpipe: .*ECONNREFUSED/);
  });
});
