import { describe, expect, it } from 'vitest';
import { generateCalls, type Push, type StatusPush } from '@callpipe/fixtures';
import { exitCodeOf } from '../src/index.ts';
import { count, fullSnapshot, jsonLines, replayFiles, storeLive, databaseAndFiles } from './support.ts';

describe('replay --dry-run', () => {
  const fixture = databaseAndFiles();

  it('when records are new, stored identical, stored different or invalid, then each is reported as such with its location, and nothing is written', async () => {
    const [stored, changed, fresh, freshEvent] = generateCalls(81, 4);
    await storeLive(fixture.database.db, [
      ...stored!.statusPushes,
      ...changed!.statusPushes,
      { eventType: 'fee', feeLst: [stored!.cdr] },
      { eventType: 'fee', feeLst: [changed!.cdr] },
    ]);
    const disconnect = stored!.statusPushes.find((push) => push.eventType === 'disconnect')!;
    const alteredDisconnect: StatusPush = { ...disconnect, statusInfo: { ...disconnect.statusInfo, stateDesc: 'changed by hand' } };
    const lines: unknown[] = [
      stored!.cdr,
      { ...changed!.cdr, callEndTime: '2030-01-01 00:00:00', ulFailReason: 1 },
      fresh!.cdr,
      disconnect,
      alteredDisconnect,
      freshEvent!.statusPushes[0],
      'this line is not JSON',
      { ...fresh!.cdr, sessionId: '\u0007' },
      { eventType: 'fee', feeLst: [fresh!.cdr, { sessionId: true }] } satisfies Push | object,
    ];
    const path = await fixture.files.write(
      'check.jsonl',
      `${jsonLines(lines.slice(0, 6))}\n${lines[6] as string}\n${jsonLines(lines.slice(7))}`,
    );
    const before = await fullSnapshot(fixture.database.db);

    const run = await replayFiles(fixture.database.db, [path], { dryRun: true });

    const file = path;
    expect(run.records).toEqual([
      { file, location: 'line 1', status: 'stored_identical', kind: 'cdr', sessionId: stored!.sessionId },
      {
        file,
        location: 'line 2',
        status: 'stored_different',
        kind: 'cdr',
        sessionId: changed!.sessionId,
        differingFields: ['callEndTime', 'ulFailReason'],
      },
      { file, location: 'line 3', status: 'new', kind: 'cdr', sessionId: fresh!.sessionId },
      { file, location: 'line 4', status: 'stored_identical', kind: 'event', sessionId: stored!.sessionId, eventType: 'disconnect' },
      {
        file,
        location: 'line 5',
        status: 'stored_different',
        kind: 'event',
        sessionId: stored!.sessionId,
        eventType: 'disconnect',
        differingFields: ['stateDesc'],
      },
      {
        file,
        location: 'line 6',
        status: 'new',
        kind: 'event',
        sessionId: freshEvent!.sessionId,
        eventType: freshEvent!.statusPushes[0]!.eventType,
      },
      // The blank line 7 is skipped, but counted.
      { file, location: 'line 8', status: 'invalid', code: 'invalid_json', reason: expect.stringContaining('not valid JSON') as string },
      {
        file,
        location: 'line 9',
        status: 'invalid',
        code: 'invalid_session_id',
        reason: expect.stringMatching(/^sessionId/) as string,
      },
      { file, location: 'line 10, record 1 of the push', status: 'new', kind: 'cdr', sessionId: fresh!.sessionId },
      {
        file,
        location: 'line 10, record 2 of the push',
        status: 'invalid',
        code: 'invalid_session_id',
        reason: expect.stringContaining('feeLst[1].sessionId') as string,
      },
    ]);
    expect(run.summary).toMatchObject({
      mode: 'dry-run',
      written: false,
      stored: null,
      records: { total: 10, new: 3, stored_identical: 2, stored_different: 2, invalid: 3 },
    });
    expect(exitCodeOf(run.summary)).toBe(1);
    expect(await fullSnapshot(fixture.database.db)).toEqual(before);
  });

  it('when a file was already replayed, then a dry run of it reports every record as stored_identical', async () => {
    const calls = generateCalls(82, 10);
    const path = await fixture.files.write('again.json', JSON.stringify(calls.map((call) => call.cdr)));
    await replayFiles(fixture.database.db, [path]);
    const deliveries = await count(fixture.database.db, 'push_deliveries');
    const run = await replayFiles(fixture.database.db, [path], { dryRun: true });
    expect(run.records.map((record) => record.status)).toEqual(Array(10).fill('stored_identical'));
    expect(run.records.map((record) => record.location)).toEqual(calls.map((_, index) => `element ${index + 1}`));
    expect(exitCodeOf(run.summary)).toBe(0);
    expect(await count(fixture.database.db, 'push_deliveries')).toBe(deliveries);
  });
});
