import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDatabase, isRetryableDatabaseError, NoUsableHostError, parsePostgresUrl, type PostgresHost } from '@callpipe/db';
import { testContext } from '@callpipe/testkit';

// Multi-host DATABASE_URLs as libpq takes them. The primary switch itself (a standby promoted under
// load) is a fault test: test/faults/postgres-failover.test.ts.

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('multi-host DATABASE_URL', () => {
  it('connects to the first host that takes a connection and is writable, and says which', async () => {
    const database = await testContext().createDatabase();
    const real = parsePostgresUrl(database.url).hosts[0]!;
    const dead = await closedPort();
    const url =
      database.url.replace(`${real.host}:${real.port}`, `127.0.0.1:${dead},${real.host}:${real.port}`) + '?target_session_attrs=read-write';
    const switches: PostgresHost[] = [];
    const db = createDatabase({ connectionString: url, poolSize: 2, onPrimarySwitch: (host) => switches.push(host) });
    try {
      const row = await sql<{ port: number }>`SELECT current_setting('port')::int AS port`.execute(db);
      expect(row.rows[0]!.port).toBe(real.port);
      expect(switches).toEqual([real]);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });

  it('when no host takes a connection, then queries fail retryably with every host named', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const db = createDatabase({
      connectionString: `postgres://postgres@127.0.0.1:${a},127.0.0.1:${b}/postgres?target_session_attrs=read-write`,
    });
    try {
      const failure = await sql`SELECT 1`.execute(db).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(NoUsableHostError);
      expect(String(failure)).toContain(`no writable host among 127.0.0.1:${a},127.0.0.1:${b}`);
      expect(isRetryableDatabaseError(failure)).toBe(true);
    } finally {
      await db.destroy();
    }
  });
});
