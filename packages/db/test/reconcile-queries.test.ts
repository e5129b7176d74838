import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHuaweiTime, parsePush } from '@callpipe/events';
import { demoAppKeys, demoBusinessByAppKey, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import {
  acceptedDelivery,
  countMissingCdrsByApp,
  DEFAULT_CDR_HORIZON_MS,
  listMissingCdrs,
  MISSING_CDR_BOARD_CONDITION,
  missingCdrsByAppQuery,
  storeDeliveries,
} from '@callpipe/db';

const HOUR = 3_600_000;
const options = { businessByAppKey: demoBusinessByAppKey };

function pushes(sessionId: string, endedHoursAgo: number, { ended = true, cdr = false } = {}): Push[] {
  const end = new Date(Date.now() - endedHoursAgo * HOUR);
  const at = (offsetMs: number) => formatHuaweiTime(new Date(end.getTime() + offsetMs));
  return [
    { eventType: 'callout', statusInfo: { sessionId, timestamp: at(-60_000), called: '+8613800000001' } },
    ...(ended ? [{ eventType: 'disconnect', statusInfo: { sessionId, timestamp: at(0), stateCode: 8101 } }] : []),
    ...(cdr
      ? [{ eventType: 'fee' as const, feeLst: [{ sessionId, appKey: demoAppKeys.notify, callEndTime: at(0), failTime: at(0) }] }]
      : []),
  ];
}

describe('the missing-CDR definition', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testContext().createDatabase();
    const all = [
      ...pushes('missing-old', 30),
      ...pushes('missing-just-past', 7.1),
      ...pushes('inside-horizon', 6.9),
      ...pushes('with-cdr', 30, { cdr: true }),
      ...pushes('not-ended', 30, { ended: false }),
    ];
    await storeDeliveries(
      database.db,
      all.map((push) => {
        const verdict = parsePush(JSON.stringify(push), options);
        if (!verdict.ok) throw new Error(verdict.rejection.message);
        return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: new Date().toISOString() }, verdict);
      }),
    );
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("when the board's SQL, the command's list and the gauge's count look for missing CDRs, then they find the same calls", async () => {
    const board = await sql
      .raw<{ session_id: string }>(`SELECT session_id FROM calls WHERE ${MISSING_CDR_BOARD_CONDITION} ORDER BY ended_at`)
      .execute(database.db);
    const endedBefore = new Date(Date.now() - DEFAULT_CDR_HORIZON_MS);
    const listed = await listMissingCdrs(database.db, { from: new Date(0), to: new Date(Date.now() + HOUR), timeZone: 'UTC', endedBefore });
    expect(listed.map((call) => call.sessionId)).toEqual(['missing-old', 'missing-just-past']);
    expect(board.rows.map((row) => row.session_id)).toEqual(listed.map((call) => call.sessionId));
    expect(await countMissingCdrsByApp(database.db, new Date(0), endedBefore)).toEqual([{ appKey: null, calls: 2 }]);
  });

  it('when the gauge counts, then Postgres reads the partial index calls_ended_without_cdr_idx', async () => {
    // The gauge's own statement, with its parameters; sequential scans off, since a table this small is cheaper to scan.
    const plan = await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      return missingCdrsByAppQuery(trx, new Date(Date.now() - 7 * 24 * HOUR), new Date(Date.now() - DEFAULT_CDR_HORIZON_MS)).explain();
    });
    expect(plan.map((row) => Object.values(row).join(' ')).join('\n')).toMatch(/Index Scan using calls_ended_without_cdr_idx/);
  });
});
