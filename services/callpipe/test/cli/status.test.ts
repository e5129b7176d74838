import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePartitions, migrations } from '@callpipe/db';
import { createPushQueues, createRedisConnection, type PushQueue, type RedisClient } from '@callpipe/queue';
import { generateCalls } from '@callpipe/fixtures';
import { testContext, uniqueQueuePrefix, waitFor, type TestDatabase } from '@callpipe/testkit';
import { callpipe, connectionCounter, countedEnv, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

// `callpipe status` and `callpipe migrate status` on the real entry point, against real Redis and
// Postgres: one healthy deployment, and one with a pending migration, a dead letter and a
// quarantined spool record.
const context = testContext();
let healthy: TestDatabase;
let broken: TestDatabase;
let spoolDir: string;
let brokenSpoolDir: string;
let redis: RedisClient;
let brokenQueue: PushQueue;
const healthyPrefix = uniqueQueuePrefix('cli-status-ok');
const brokenPrefix = uniqueQueuePrefix('cli-status-bad');

interface Report {
  status: string;
  checkedAt: string;
  checks: Array<{ name: string; status: string; detail: string; data: Record<string, unknown> }>;
}
// The newest migration: the one the broken database's ledger forgets.
const MIGRATION_NAMES = Object.keys(migrations).sort();
const NEWEST = MIGRATION_NAMES.at(-1)!;
const CHECKS = [
  'redis',
  'postgres',
  'migrations',
  'partitions',
  'queues',
  'dead-letters',
  'spool',
  'missing-cdrs',
  'recordings',
  'app-business',
  'configuration',
];

const envFor = (database: TestDatabase, prefix: string, spool: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: database.url,
  REDIS_URL: context.redisUrl,
  CALLPIPE_QUEUE_PREFIX: prefix,
  INGEST_SPOOL_DIR: spool,
  WORKER_ADMIN_HOST: '127.0.0.1',
  ...extra,
});

beforeAll(async () => {
  [healthy, broken] = await Promise.all([context.createDatabase(), context.createDatabase()]);
  for (const database of [healthy, broken]) await ensurePartitions(database.db, { aheadDays: 7, retentionDays: 0 });
  spoolDir = await mkdtemp(join(tmpdir(), 'callpipe-status-spool-'));
  brokenSpoolDir = await mkdtemp(join(tmpdir(), 'callpipe-status-spool-'));
  // A pending migration: the newest one forgotten by the ledger.
  await sql`DELETE FROM kysely_migration WHERE name = (SELECT max(name) FROM kysely_migration)`.execute(broken.db);
  // A quarantined record, as a drain leaves one.
  await mkdir(join(brokenSpoolDir, 'quarantine'));
  await writeFile(join(brokenSpoolDir, 'quarantine', 'segment-1-0.json'), '{"reason":"checksum"}');
  // A dead letter.
  redis = createRedisConnection(context.redisUrl, 'worker');
  brokenQueue = createPushQueues(redis, brokenPrefix, 1)[0]!;
  const data = {
    deliveryId: 'status-dead',
    source: 'test',
    receivedAt: new Date().toISOString(),
    contentType: null,
    body: '{}',
    bodyEncoding: 'utf8' as const,
    rejection: null,
  };
  await brokenQueue.add('status', data, { jobId: 'status-dead', attempts: 1 });
  const failing = new Worker(brokenQueue.name, () => Promise.reject(new UnrecoverableError('poison')), {
    connection: redis,
    prefix: brokenQueue.opts.prefix!,
  });
  try {
    await waitFor(async () => (await brokenQueue.getFailedCount()) === 1, { what: 'the dead letter' });
  } finally {
    await failing.close();
  }
});
afterAll(async () => {
  await brokenQueue.obliterate({ force: true });
  await brokenQueue.close();
  await redis.quit();
  await Promise.all([healthy?.drop(), broken?.drop()]);
  await Promise.all([spoolDir, brokenSpoolDir].map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('callpipe status', () => {
  it.each([['status'], ['migrate', 'status']])(
    'when %s is given --help, then it prints its usage and connects nowhere',
    async (...command) => {
      const counter = await connectionCounter();
      try {
        expectHelp(
          await callpipe([...command, '--help'], countedEnv(counter.port, '/nonexistent')),
          `callpipe ${command.join(' ')} [options]`,
        );
        expectHelp(await callpipe([...command, '-h'], refusedEnv), `callpipe ${command.join(' ')} [options]`);
        expect(counter.connections()).toBe(0);
      } finally {
        await counter.close();
      }
    },
  );

  it('when given a bad option or an argument, then it exits 2 with one line', async () => {
    expectUsageError(await callpipe(['status', '--bogus'], refusedEnv), "unknown option '--bogus'");
    expectUsageError(await callpipe(['status', 'now'], refusedEnv), "too many arguments for 'status'");
    expectUsageError(await callpipe(['migrate', 'status', 'now'], refusedEnv), "too many arguments for 'status'");
  });

  it('when everything is healthy, then every check is ok, the table says so and it exits 0', async () => {
    const result = await callpipe(['status'], envFor(healthy, healthyPrefix, spoolDir));
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^callpipe status at \d{4}-\d\d-\d\dT/);
    expect(lines[1]).toMatch(/^check +status +detail$/);
    expect(lines.slice(2, -1).map((line) => line.split(/\s+/, 2))).toEqual(CHECKS.map((name) => [name, 'ok']));
    expect(lines.at(-1)).toBe('all checks ok');
    expect(result.stdout).toMatch(/^redis +ok +Redis \d+\.\d+/m);
    expect(result.stdout).toMatch(/^migrations +ok +\d+ migrations applied, none pending/m);
  });

  it('when --json, then stdout is one object with every check as {name, status, detail, data}', async () => {
    const result = await callpipe(['status', '--json'], envFor(healthy, healthyPrefix, spoolDir));
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ status: 'ok', checkedAt: expect.stringMatching(/Z$/) as unknown });
    expect(report.checks.map((check) => check.name)).toEqual(CHECKS);
    for (const check of report.checks) expect(Object.keys(check).sort()).toEqual(['data', 'detail', 'name', 'status']);
    expect(report.checks.find((check) => check.name === 'queues')!.data).toMatchObject({
      waiting: 0,
      shards: [{ shard: 0, waiting: 0, failed: 0, oldestWaitingAgeSeconds: 0 }],
    });
  });

  it('when a migration is pending, a dead letter waits and a spool record is quarantined, then each check says action and it exits 1', async () => {
    const result = await callpipe(['status', '--json'], envFor(broken, brokenPrefix, brokenSpoolDir));
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.status).toBe('action');
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    expect(byName['migrations']).toMatchObject({ status: 'action', data: { pending: [NEWEST] } });
    expect(byName['migrations']!.detail).toContain('run `callpipe migrate`');
    expect(byName['dead-letters']).toMatchObject({ status: 'action', data: { total: 1, perShard: [1] } });
    expect(byName['spool']).toMatchObject({ status: 'action', data: { quarantined: 1 } });
    expect(byName['redis']!.status).toBe('ok');

    const table = await callpipe(['status'], envFor(broken, brokenPrefix, brokenSpoolDir));
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(new RegExp(`^migrations +ACTION +1 migration pending \\(${NEWEST}\\)`, 'm'));
    expect(table.stdout).toMatch(/^dead-letters +ACTION +1 dead letter:/m);
    expect(table.stdout).toMatch(/^spool +ACTION +.*1 quarantined/m);
    expect(table.stdout.trimEnd().split('\n').at(-1)).toBe('3 check(s) need action, 0 warning(s): exit 1');
  });

  it('when Redis and Postgres cannot be reached, then both are action, what needs them is not checked, and it exits 1', async () => {
    const result = await callpipe(['status', '--json'], {
      ...envFor(healthy, healthyPrefix, spoolDir),
      DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:1/callpipe',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(result.code).toBe(1);
    const byName = Object.fromEntries((JSON.parse(result.stdout) as Report).checks.map((check) => [check.name, check]));
    expect(byName['redis']).toMatchObject({ status: 'action', detail: expect.stringContaining('ECONNREFUSED') as unknown });
    expect(byName['postgres']).toMatchObject({ status: 'action', detail: expect.stringContaining('ECONNREFUSED') as unknown });
    expect(byName['queues']).toMatchObject({ status: 'warn', detail: 'not checked: Redis is unreachable' });
    expect(byName['migrations']).toMatchObject({ status: 'warn', detail: 'not checked: Postgres is unreachable' });
    expect(result.stdout).not.toContain('s3cret');
  });

  it('when variables are misspelt, the UI is open, or an app with serviceType 001 CDRs is unmapped, then those are warnings and it exits 0', async () => {
    const cdr = JSON.stringify({ eventType: 'fee', feeLst: [{ sessionId: 'status-cdr-1', appKey: 'unmapped-app', serviceType: '001' }] });
    const replay = await callpipe(['replay', '-'], { DATABASE_URL: healthy.url }, { stdin: cdr });
    expect(replay.code, replay.stderr).toBe(0);
    const env = envFor(healthy, healthyPrefix, spoolDir, {
      WORKER_CONCURENCY: '8',
      WORKER_ADMIN_HOST: '0.0.0.0',
      CALLPIPE_APP_BUSINESS: 'other=notify',
    });
    const result = await callpipe(['status', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.status).toBe('warn');
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    expect(byName['configuration']!.status).toBe('warn');
    expect(byName['configuration']!.detail).toContain(
      'WORKER_CONCURENCY is not a variable callpipe reads (did you mean WORKER_CONCURRENCY?)',
    );
    expect(byName['configuration']!.detail).toContain('the queue UI (/queues, read-only) is open to anyone who reaches 0.0.0.0');
    expect(byName['app-business']).toMatchObject({ status: 'warn', data: { unmapped: [{ appKey: 'unmapped-app', cdrs: 1 }] } });
    const mapped = await callpipe(['status', '--json'], {
      ...envFor(healthy, healthyPrefix, spoolDir),
      CALLPIPE_APP_BUSINESS: 'unmapped-app=verify',
    });
    expect((JSON.parse(mapped.stdout) as Report).checks.find((check) => check.name === 'app-business')!.status).toBe('ok');
  });

  it('when a call ended past the horizon without its CDR and a recording nears its deadline, then both say action and it exits 1', async () => {
    const gaps = await context.createDatabase();
    try {
      await ensurePartitions(gaps.db, { aheadDays: 7, retentionDays: 0 });
      const [call] = generateCalls(91, 1, { lossProbability: 0, startAt: new Date(Date.now() - 9 * 3_600_000) });
      const statusOnly = call!.statusPushes.map((push) => JSON.stringify(push)).join('\n');
      const replay = await callpipe(['replay', '-'], { DATABASE_URL: gaps.url }, { stdin: statusOnly });
      expect(replay.code, replay.stderr).toBe(0);
      await sql`INSERT INTO recordings (session_id, object_name, first_seen_at, expires_at)
        VALUES ('status-recording-1', 'rec.wav', now() - interval '6 days 22 hours', now() + interval '2 hours')`.execute(gaps.db);
      const result = await callpipe(['status', '--json'], envFor(gaps, healthyPrefix, spoolDir));
      expect(result.code, result.stderr).toBe(1);
      const byName = Object.fromEntries((JSON.parse(result.stdout) as Report).checks.map((check) => [check.name, check]));
      expect(byName['missing-cdrs']).toMatchObject({
        status: 'action',
        data: { total: 1 },
        detail: expect.stringContaining('callpipe reconcile --from <day> --to <day> --format csv') as unknown,
      });
      expect(byName['recordings']).toMatchObject({
        status: 'action',
        detail: expect.stringContaining('1 recording pending, the first deleted by the platform in') as unknown,
      });
    } finally {
      await gaps.drop();
    }
  });

  it('when the worker would refuse its configuration, then configuration says action naming the variable', async () => {
    const result = await callpipe(
      ['status', '--json'],
      envFor(healthy, healthyPrefix, spoolDir, { WORKER_ADMIN_HOST: '0.0.0.0', WORKER_QUEUE_UI: 'read-write' }),
    );
    expect(result.code).toBe(1);
    const check = (JSON.parse(result.stdout) as Report).checks.find((candidate) => candidate.name === 'configuration')!;
    expect(check).toMatchObject({
      status: 'action',
      detail: expect.stringContaining('the worker would refuse to start: WORKER_QUEUE_UI_TOKEN: required') as unknown,
    });
  });
});

describe('callpipe migrate status', () => {
  it('when every migration is applied, then it lists them with when and exits 0', async () => {
    const result = await callpipe(['migrate', 'status'], { DATABASE_URL: healthy.url });
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^database callpipe_\\w+: ${MIGRATION_NAMES.length} migration\\(s\\) applied, 0 pending\n`));
    expect(result.stdout).toMatch(/^ {2}0001_initial_schema +applied \d{4}-/m);
    const json = JSON.parse((await callpipe(['migrate', 'status', '--json'], { DATABASE_URL: healthy.url })).stdout) as {
      pending: string[];
      applied: unknown[];
    };
    expect(json).toMatchObject({ pending: [], unknown: [] });
    expect(json.applied).toHaveLength(MIGRATION_NAMES.length);
  });

  it('when one is pending, then it is listed as pending and it exits 1', async () => {
    const result = await callpipe(['migrate', 'status'], { DATABASE_URL: broken.url });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^ {2}${NEWEST} +pending$`, 'm'));
    expect(result.stdout).toContain('run `callpipe migrate` to apply the pending ones');
  });
});
