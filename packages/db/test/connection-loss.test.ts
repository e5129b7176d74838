import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDatabase, isRetryableDatabaseError } from '@callpipe/db';
import { errorCode } from '@callpipe/runtime';
import { testContext, waitFor } from '@callpipe/testkit';

// A Postgres restart cuts connections that are checked out in the middle of a transaction. That
// must surface as a retryable error of the transaction, never as an unhandled 'error' event that
// takes the worker process down.
describe('connection loss inside a transaction', () => {
  it('when the server terminates a connection between two statements, then the transaction fails retryably and the pool recovers', async () => {
    const database = await testContext().createDatabase();
    const lost: Error[] = [];
    const db = createDatabase({ connectionString: database.url, poolSize: 2, onConnectionError: (error) => lost.push(error) });
    const killer = createDatabase({ connectionString: database.url, poolSize: 1 });
    try {
      const failure = await db
        .transaction()
        .execute(async (trx) => {
          const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
          await sql`SELECT pg_terminate_backend(${pid})`.execute(killer);
          // The path under test: the 'error' event on the idle, checked-out client, between two
          // statements. Without the pool's listener it would be an uncaught error failing the run.
          await waitFor(() => lost.length > 0, { what: "the checked-out client's 'error' event" });
          await sql`SELECT 1`.execute(trx);
        })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(errorCode(lost[0])).toBe('57P01'); // admin_shutdown: terminated by the server
      // The second statement met the broken client, not a server error of its own.
      expect(String(failure)).toMatch(/Client has encountered a connection error and is not queryable/);
      expect(isRetryableDatabaseError(failure)).toBe(true);
      // The FATAL message, and maybe the socket's end after it: all of that one connection.
      expect(lost.slice(1).map((error) => error.message)).toEqual(lost.slice(1).map(() => 'Connection terminated unexpectedly'));
      const seen = lost.length;
      const after = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
      expect(after.rows[0]!.one).toBe(1);
      expect(lost).toHaveLength(seen);
    } finally {
      await Promise.all([db.destroy(), killer.destroy()]);
      await database.drop();
    }
  });
});
