import { describe, expect, it } from 'vitest';
import { feePushes, generateCalls, type Push } from '@callpipe/fixtures';
import { count, csvOf, fullSnapshot, jsonLines, replayFiles, storeLive, databaseAndFiles } from './support.ts';

describe('replaying a file twice', () => {
  const fixture = databaseAndFiles();

  it('when the same files are replayed again, then the second run stores no delivery and every table is unchanged, bookkeeping included', async () => {
    const calls = generateCalls(71, 60);
    const cdrs = calls.map((call) => call.cdr);
    // One bad record inside a good push: kept once in rejected_pushes, like a live one.
    const pushes: Push[] = [
      ...calls.flatMap((call) => call.statusPushes),
      ...feePushes(cdrs.slice(0, 30), 10),
      { eventType: 'fee', feeLst: [{ ...cdrs[30]!, sessionId: '' }, cdrs[31]!] },
    ];
    const paths = [
      await fixture.files.write('pushes.jsonl.gz', jsonLines(pushes), true),
      await fixture.files.write('cdrs.csv', csvOf(cdrs.slice(32))),
    ];

    const first = await replayFiles(fixture.database.db, paths);
    const before = await fullSnapshot(fixture.database.db);
    const second = await replayFiles(fixture.database.db, paths);
    const after = await fullSnapshot(fixture.database.db);

    expect(first.summary.stored).toMatchObject({ deliveriesAlreadyReplayed: 0, rejectedRecordsKept: 1 });
    expect(second.summary.stored).toMatchObject({
      deliveriesStored: 0,
      deliveriesAlreadyReplayed: first.summary.stored!.deliveriesStored,
      cdrsInserted: 0,
      cdrsRedelivered: 0,
      eventsRedelivered: 0,
      callsUpdated: 0,
      rejectedRecordsKept: 0,
    });
    expect(after).toEqual(before);
    expect(before.cdrs.every((row) => row.delivery_count === 1)).toBe(true);
    expect(before.rejected).toHaveLength(1);
    // The bad record is reported both times: the file still holds it.
    expect(second.records).toEqual([
      expect.objectContaining({ location: `line ${pushes.length}, record 1 of the push`, status: 'invalid', code: 'invalid_session_id' }),
    ]);
  });
});

describe('replaying CDRs that already arrived live', () => {
  const fixture = databaseAndFiles();

  it.each([
    ['a JSON array of records', 'resent.json', (records: Record<string, unknown>[]) => JSON.stringify(records)],
    ['a CSV export', 'export.csv', (records: Record<string, unknown>[]) => csvOf(records)],
  ])('when %s of them is replayed, then each CDR gets delivery_count + 1 and nothing else changes', async (_name, fileName, render) => {
    const calls = generateCalls(fileName.length * 13, 25);
    await storeLive(
      fixture.database.db,
      calls.flatMap((call): Push[] => [...call.statusPushes, { eventType: 'fee', feeLst: [call.cdr] }]),
    );
    const sessions = new Set(calls.map((call) => call.sessionId));
    const before = await fullSnapshot(fixture.database.db);
    const deliveriesBefore = await count(fixture.database.db, 'push_deliveries');

    const run = await replayFiles(fixture.database.db, [await fixture.files.write(fileName, render(calls.map((call) => call.cdr)))]);
    const after = await fullSnapshot(fixture.database.db);

    expect(run.summary.stored).toMatchObject({
      deliveriesStored: 25,
      cdrsInserted: 0,
      cdrsRedelivered: 25,
      callsCreated: 0,
      callsUpdated: 0,
    });
    expect(after.calls).toEqual(before.calls);
    expect(after.events).toEqual(before.events);
    expect(
      after.cdrs.map(({ delivery_count, last_received_at: _l, ...row }) => ({
        ...row,
        delivery_count: sessions.has(row.session_id) ? delivery_count - 1 : delivery_count,
      })),
    ).toEqual(before.cdrs.map(({ last_received_at: _l, ...row }) => row));
    for (const [index, row] of after.cdrs.entries())
      expect(row.last_received_at.getTime()).toBeGreaterThanOrEqual(before.cdrs[index]!.last_received_at.getTime());
    expect(await count(fixture.database.db, 'push_deliveries')).toBe(deliveriesBefore + 25);
    const replayed = await fixture.database.db
      .selectFrom('push_deliveries')
      .select('source')
      .where('source', '=', `replay:${fileName}`)
      .execute();
    expect(replayed).toHaveLength(25);
  });
});
