import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDatabase, isRetryableDatabaseError } from '@callpipe/db';
import { testContext } from '@callpipe/testkit';

// A Postgres restart cuts connections that are checked out in the middle of a transaction. That
// must surface as a retryable error of the transaction, never as an unhandled 'error' event that
// takes the worker process down.
describe('connection loss inside a transaction', () => {
  it('when the server terminates a connection between two statements, then the transaction fails retryably and the pool recovers', async () => {
    const database = await testContext().createDatabase();
    const db = createDatabase({ connectionString: database.url, poolSize: 2 });
    const killer = createDatabase({ connectionString: database.url, poolSize: 1 });
    try {
      const failure = await db
        .transaction()
        .execute(async (trx) => {
          const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
          await sql`SELECT pg_terminate_backend(${pid})`.execute(killer);
          // The 'error' event fires on the idle, checked-out client while we wait here.
          await new Promise((resolve) => setTimeout(resolve, 200));
          await sql`SELECT 1`.execute(trx);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(failure).not.toBeNull();
      expect(isRetryableDatabaseError(failure)).toBe(true);
      const after = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
      expect(after.rows[0]!.one).toBe(1);
    } finally {
      await Promise.all([db.destroy(), killer.destroy()]);
      await database.drop();
    }
  });
});
