import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { acceptedDelivery, createDatabase, readDayRows, storeDeliveries, type AcceptedDelivery } from '@callpipe/db';

const context = testContext();

function deliveryOf(push: Push): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), { businessByAppKey: demoBusinessByAppKey });
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: new Date().toISOString() }, verdict);
}

async function collect(rows: AsyncIterable<string>, limit = Infinity): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of rows) {
    if (lines.length === limit) break;
    lines.push(line);
  }
  return lines;
}

// readDayRows reads from a cursor of the caller's transaction (the archive writes each table's
// file inside one): what the caller does around it must leave that transaction usable.
describe('readDayRows', () => {
  let database: TestDatabase;
  let day: string;

  beforeAll(async () => {
    database = await context.createDatabase();
    const calls = generateCalls(21, 25, { lossProbability: 0 });
    const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
    await storeDeliveries(
      database.db,
      pushes.map((push) => deliveryOf(push)),
    );
    const days = await sql<{ day: string }>`SELECT DISTINCT call_day::text AS day FROM calls ORDER BY 1`.execute(database.db);
    day = days.rows[0]!.day;
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when read in chunks of any size, then every row of the day comes once, in primary key order', async () => {
    const expected = await sql<{ line: string }>`
      SELECT to_jsonb(t)::text AS line FROM call_events t WHERE call_day = ${day}::date ORDER BY session_id, event_key`.execute(
      database.db,
    );
    expect(expected.rows.length).toBeGreaterThan(10);
    for (const chunkRows of [1, 7, expected.rows.length, 2_000]) {
      const lines = await database.db.transaction().execute((trx) => collect(readDayRows(trx, 'call_events', day, chunkRows)));
      expect(lines).toEqual(expected.rows.map((row) => row.line));
    }
  });

  it('when the reader stops early or reads two tables at once, then the transaction goes on and reads them again', async () => {
    await database.db.transaction().execute(async (trx) => {
      const full = await collect(readDayRows(trx, 'calls', day, 3));
      expect(full.length).toBeGreaterThan(5);
      expect(await collect(readDayRows(trx, 'calls', day, 3), 4)).toEqual(full.slice(0, 4));

      const calls = readDayRows(trx, 'calls', day, 2)[Symbol.asyncIterator]();
      const cdrs = readDayRows(trx, 'cdrs', day, 2)[Symbol.asyncIterator]();
      const interleaved: string[] = [];
      for (let call = await calls.next(), cdr = await cdrs.next(); !call.done || !cdr.done;) {
        if (!call.done) {
          interleaved.push(call.value);
          call = await calls.next();
        }
        if (!cdr.done) cdr = await cdrs.next();
      }
      expect(interleaved).toEqual(full);
      const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_cursors`.execute(trx);
      expect(after.rows[0]!.n).toBe(0);
    });
  });

  it('when the connection dies between two chunks, then the read fails with that error, not with closing the cursor', async () => {
    const killer = createDatabase({ connectionString: database.url, poolSize: 1 });
    try {
      const failure = database.db.transaction().execute(async (trx) => {
        const pid = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        let read = 0;
        for await (const _line of readDayRows(trx, 'calls', day, 2)) {
          read += 1;
          if (read === 1) await sql`SELECT pg_terminate_backend(${pid.rows[0]!.pid})`.execute(killer);
        }
        return read;
      });
      // The read's own error (how it reads depends on when the client notices the socket close);
      // a CLOSE attempted on the dead client would replace it with pg's "…is not queryable".
      await expect(failure).rejects.toThrow(/terminat|ECONNRESET/);
    } finally {
      await killer.destroy();
    }
  });

  it('when the chunk size is not a positive integer, then it is refused before anything is read', async () => {
    for (const chunkRows of [0, -1, 1.5, Number.NaN])
      await expect(database.db.transaction().execute((trx) => collect(readDayRows(trx, 'calls', day, chunkRows)))).rejects.toThrow(
        `chunkRows must be a positive integer, not ${chunkRows}`,
      );
  });
});
