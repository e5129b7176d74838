import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedDelivery, addDays, ensurePartitions, storeDeliveries, utcDay } from '@callpipe/db';
import { parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
const day = addDays(utcDay(new Date()), -10);
let database: TestDatabase;
let folder: string;
let env: Record<string, string>;

beforeAll(async () => {
  database = await context.createDatabase();
  folder = await mkdtemp(join(tmpdir(), 'callpipe-cli-archive-'));
  env = { DATABASE_URL: database.url, CALLPIPE_ARCHIVE_URL: pathToFileURL(join(folder, 'archive')).href };
  await ensurePartitions(database.db, { now: new Date(`${addDays(day, 1)}T00:00:00Z`), aheadDays: 1, retentionDays: 0 });
  const [call] = generateCalls(21, 1);
  const verdict = parsePush(JSON.stringify({ eventType: 'fee', feeLst: [call!.cdr] }), { businessByAppKey: demoBusinessByAppKey });
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  await storeDeliveries(database.db, [
    acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: `${day}T08:00:00.000Z` }, verdict),
  ]);
});
afterAll(async () => {
  await database?.drop();
  await rm(folder, { recursive: true, force: true });
});

describe('callpipe archive', () => {
  it.each([[['archive', 'list']], [['archive', 'verify']], [['archive', 'restore']]])(
    'when %j is given --help, then it prints its usage and exits 0 without reading the env',
    async (command) => {
      expectHelp(await callpipe([...command, '--help'], refusedEnv), `callpipe ${command.join(' ')} [options]`);
    },
  );

  it('when given a bad day, no day to restore, an unknown option or no archive, then it says so', async () => {
    expectUsageError(await callpipe(['archive', 'verify', '--day', '2024-13-01'], env), '--day: is not a calendar day');
    expectUsageError(await callpipe(['archive', 'verify', '--day', 'yesterday'], env), '--day: must be a day, YYYY-MM-DD');
    expectUsageError(await callpipe(['archive', 'restore'], env), "required option '--day <YYYY-MM-DD>' not specified");
    expectUsageError(await callpipe(['archive', 'list', '--bogus'], env), "unknown option '--bogus'");
    const unset = await callpipe(['archive', 'list'], { DATABASE_URL: database.url });
    expect(unset).toMatchObject({ code: 1, stdout: '' });
    expect(unset.stderr).toContain('CALLPIPE_ARCHIVE_URL is not set');
    const bad = await callpipe(['archive', 'list'], { ...env, CALLPIPE_ARCHIVE_URL: 'ftp://x/y' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CALLPIPE_ARCHIVE_URL');
  }, 120_000);

  it('when the retention archived a day, then list shows it, verify passes, a changed file fails verify, and restore puts it back once', async () => {
    const maintain = await callpipe(['partitions', 'maintain'], { ...env, CALLPIPE_RETENTION_DAYS: '5' });
    expect(maintain, maintain.stderr).toMatchObject({ code: 0 });
    expect(maintain.stdout).toContain(`archived and verified before the drop: ${day}`);

    const list = await callpipe(['archive', 'list', '--json'], env);
    // The empty partitions of the days around it expired too: every dropped day has its archive.
    expect(list, list.stderr).toMatchObject({ code: 0, stderr: '3 day(s) in ' + env.CALLPIPE_ARCHIVE_URL + '\n' });
    expect((JSON.parse(list.stdout) as Array<{ day: string }>).filter((entry) => entry.day === day)).toMatchObject([
      { day, status: 'complete', rows: { calls: 1, cdrs: 1, push_deliveries: 1, call_events: 0 } },
    ]);
    const text = await callpipe(['archive', 'list'], env);
    expect(text.stdout).toMatch(
      new RegExp(`^${day}  complete  +[\\d.]+ KB  calls 1, call_events 0, cdrs 1, push_deliveries 1, rejected_pushes 0  archived `),
    );

    expect(await callpipe(['archive', 'verify', '--day', day], env)).toMatchObject({ code: 0, stdout: `${day}  ok\n` });

    const restore = await callpipe(['archive', 'restore', '--day', day], env);
    expect(restore, restore.stderr).toMatchObject({ code: 0 });
    expect(restore.stdout).toContain(
      `restored ${day}: calls 1 of 1, call_events 0 of 0, cdrs 1 of 1, push_deliveries 1 of 1, rejected_pushes 0 of 0 row(s) put back`,
    );
    const again = await callpipe(['archive', 'restore', '--day', day, '--json'], env);
    const second = JSON.parse(again.stdout) as { day: string; createdPartitions: string[]; tables: Array<{ inserted: number }> };
    expect(second).toMatchObject({ day, createdPartitions: [] });
    expect(second.tables.map((table) => table.inserted)).toEqual([0, 0, 0, 0, 0]);

    await writeFile(join(folder, 'archive', `day=${day}`, 'cdrs.ndjson.gz'), 'changed');
    const verify = await callpipe(['archive', 'verify', '--json'], env);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toBe('2 of 3 day(s) verified, 1 failed\n');
    expect((JSON.parse(verify.stdout) as Array<{ day: string }>).filter((entry) => entry.day === day)).toEqual([
      {
        day,
        ok: false,
        problems: [
          expect.stringContaining(`day=${day}/cdrs.ndjson.gz: 7 bytes, the manifest says`),
          `day=${day}/cdrs.ndjson.gz: unreadable: incorrect header check`,
        ],
      },
    ]);
    const refused = await callpipe(['archive', 'restore', '--day', day], env);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toContain(`the archive of ${day} does not verify, nothing restored`);
  }, 180_000);
});
