import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feePushes, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { contentSnapshot, count, csvOf, jsonLines, replayFiles, scratchDirectory, storeLive } from './support.ts';

const context = testContext();
const calls = generateCalls(61, 40, { lossProbability: 0.1, unmappedAppKeyProbability: 0.2 });
// Quotes, a comma and a line break in a text field exercise CSV quoting end to end.
calls[0]!.cdr['userData'] = 'order "7", rush\nsecond line';
const statusPushes: Push[] = calls.flatMap((call) => call.statusPushes);
const cdrs = calls.map((call) => call.cdr);

describe('replay of each format', () => {
  let live: TestDatabase;
  let expected: Awaited<ReturnType<typeof contentSnapshot>>;
  let files: Awaited<ReturnType<typeof scratchDirectory>>;
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    files = await scratchDirectory();
    live = await context.createDatabase();
    await storeLive(live.db, [...statusPushes, ...cdrs.map((cdr): Push => ({ eventType: 'fee', feeLst: [cdr] }))]);
    expected = await contentSnapshot(live.db);
  });
  afterAll(async () => {
    await Promise.all([live?.drop(), ...databases.map((database) => database.drop()), files?.remove()]);
  });

  async function fresh(): Promise<TestDatabase> {
    const database = await context.createDatabase();
    databases.push(database);
    return database;
  }

  const cases: Array<[string, () => Array<[string, string]>]> = [
    [
      'JSON lines of push bodies (status pushes and merged CDR pushes)',
      () => [['pushes.jsonl', jsonLines([...statusPushes, ...feePushes(cdrs, 7)])]],
    ],
    [
      'JSON lines of bare CDR records',
      () => [
        ['status.jsonl', jsonLines(statusPushes)],
        ['cdrs.jsonl', jsonLines(cdrs)],
      ],
    ],
    [
      'a JSON array of CDR records',
      () => [
        ['status.jsonl', jsonLines(statusPushes)],
        ['cdrs.json', JSON.stringify(cdrs, null, 2)],
      ],
    ],
    ['a JSON array of push bodies', () => [['pushes.json', JSON.stringify([...feePushes(cdrs, 50), ...statusPushes])]]],
    [
      'CSV with FeeInfo field names as headers',
      () => [
        ['status.jsonl', jsonLines(statusPushes)],
        ['cdrs.csv', csvOf(cdrs)],
      ],
    ],
  ];

  for (const gzip of [false, true]) {
    it.each(cases)(
      `when the files are %s${gzip ? ', gzip-compressed' : ''}, then the tables equal those of the same pushes arriving live`,
      async (_name, build) => {
        const database = await fresh();
        const paths = await Promise.all(
          build().map(([name, content]) => files.write(`${gzip ? 'gz-' : ''}${name}${gzip ? '.gz' : ''}`, content, gzip)),
        );
        const run = await replayFiles(database.db, paths);
        expect(run.problems).toEqual([]);
        expect(run.records).toEqual([]);
        expect(run.summary).toMatchObject({
          written: true,
          fileErrors: 0,
          records: { total: statusPushes.length + cdrs.length, invalid: 0 },
        });
        expect(await contentSnapshot(database.db)).toEqual(expected);
        const sources = await database.db.selectFrom('push_deliveries').select('source').distinct().execute();
        expect(sources.map((row) => row.source).sort()).toEqual(paths.map((path) => `replay:${path.split('/').pop()}`).sort());
      },
    );
  }

  it('when the file is one push body, pretty-printed, then it is stored as that push', async () => {
    const database = await fresh();
    const push = feePushes(cdrs.slice(0, 5))[0]!;
    const run = await replayFiles(database.db, [await files.write('push.json', JSON.stringify(push, null, 2))]);
    expect(run.summary).toMatchObject({ records: { total: 5, invalid: 0 }, stored: { deliveriesStored: 1, cdrsInserted: 5 } });
    expect(run.summary.files[0]!.format).toBe('push');
  });

  it('when a status push body comes on standard input, then it is stored with source replay:stdin', async () => {
    const database = await fresh();
    const push = statusPushes[0]!;
    const run = await replayFiles(database.db, ['-'], {}, Readable.from([Buffer.from(JSON.stringify(push))]));
    expect(run.summary).toMatchObject({ records: { total: 1, invalid: 0 }, stored: { eventsInserted: 1 } });
    expect(await database.db.selectFrom('push_deliveries').select(['source', 'push_kind']).execute()).toEqual([
      { source: 'replay:stdin', push_kind: 'status' },
    ]);
  });

  it('when the format is given, then detection is skipped: a one-line JSON lines file is read as JSON lines', async () => {
    const database = await fresh();
    const run = await replayFiles(database.db, [await files.write('one.txt', jsonLines([cdrs[0]]))], { format: 'jsonl' });
    expect(run.summary.files[0]).toMatchObject({ format: 'jsonl', records: 1, invalid: 0 });
    expect(await count(database.db, 'cdrs')).toBe(1);
  });
});
