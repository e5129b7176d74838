import { createHash, createHmac, pbkdf2Sync, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@callpipe/runtime';
import { testContext } from '@callpipe/testkit';
import { runMigrate } from '../src/run/migrate.ts';

const context = testContext();
// Roles belong to the whole server, which other test files share: a name of this file's own.
const role = `callpipe_grafana_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const silent = createLogger({ level: 'silent' });

function urlAs(databaseUrl: string, user: string, password: string): string {
  const url = new URL(databaseUrl);
  url.username = user;
  url.password = password;
  return url.toString();
}

async function asRole<T>(databaseUrl: string, password: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlAs(databaseUrl, role, password) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const migrateConfig = (url: string, password: string) => ({
  DATABASE_URL: url,
  CALLPIPE_PARTITIONS_AHEAD_DAYS: 2,
  CALLPIPE_RETENTION_DAYS: 0,
  CALLPIPE_GRAFANA_DB_USER: role,
  CALLPIPE_GRAFANA_DB_PASSWORD: password,
});

const databases: string[] = [];
async function newDatabase(): Promise<string> {
  const database = await context.createDatabase();
  databases.push(database.url);
  return database.url;
}

async function asAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Whether a SCRAM-SHA-256 verifier as Postgres stores it (RFC 5803 form) was made from this password. */
function scramVerifierMatches(verifier: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!match) return false;
  const salted = pbkdf2Sync(password, Buffer.from(match[2]!, 'base64'), Number(match[1]), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return storedKey === match[3];
}

afterAll(async () => {
  for (const url of databases) await asAdmin(url, (client) => client.query(`DROP OWNED BY "${role}"`));
  await asAdmin(context.databaseServerUrl, (client) => client.query(`DROP ROLE IF EXISTS "${role}"`));
});

describe('callpipe migrate: the read-only role for Grafana', () => {
  it('when migrate runs with CALLPIPE_GRAFANA_DB_PASSWORD, then the role reads the call tables and their partitions and can write nothing', async () => {
    const url = await newDatabase();
    await runMigrate(migrateConfig(url, 'first-password-123'), silent);
    await asRole(url, 'first-password-123', async (client) => {
      for (const table of ['calls', 'call_events', 'cdrs', 'push_deliveries', 'ref_state_codes'])
        expect((await client.query(`SELECT count(*) FROM ${table}`)).rows).toHaveLength(1);
      // The partitions migrate created ahead are read through their parent; so are later ones.
      expect((await client.query(`SELECT count(*) FROM cdrs WHERE call_day >= current_date`)).rows).toHaveLength(1);
      expect((await client.query('SHOW default_transaction_read_only')).rows[0]).toEqual({ default_transaction_read_only: 'on' });
      await expect(client.query(`UPDATE calls SET business = 'x'`)).rejects.toThrow(/read-only transaction/);
      // Even after switching the transaction to read-write, no write privilege exists.
      await expect(client.query(`BEGIN READ WRITE; DELETE FROM calls; COMMIT`)).rejects.toThrow(/permission denied for table calls/);
      await client.query('ROLLBACK');
      await expect(client.query(`CREATE TABLE public.grafana_was_here (x int)`)).rejects.toThrow(/read-only transaction|permission denied/);
    });
  });

  it('when a table holds the bytes a push arrived as, then those columns are withheld and the others readable', async () => {
    const url = await newDatabase();
    await runMigrate(migrateConfig(url, 'first-password-123'), silent);
    await asRole(url, 'first-password-123', async (client) => {
      await expect(client.query('SELECT body FROM rejected_pushes')).rejects.toThrow(/permission denied/);
      await expect(client.query('SELECT original_body FROM push_deliveries')).rejects.toThrow(/permission denied/);
      expect((await client.query('SELECT id, reason_code, received_at FROM rejected_pushes')).rows).toEqual([]);
      await expect(client.query('SELECT * FROM kysely_migration')).rejects.toThrow(/permission denied/);
    });
  });

  it('when migrate runs again with a new password, then the stored verifier is the new one and the grants stay', async () => {
    // The test server trusts every local login, so the password is checked where Postgres keeps it.
    const url = await newDatabase();
    const verifier = () =>
      asAdmin(
        url,
        async (client) =>
          (await client.query<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [role])).rows[0]!.v,
      );
    await runMigrate(migrateConfig(url, 'first-password-123'), silent);
    expect(scramVerifierMatches(await verifier(), 'first-password-123')).toBe(true);
    await runMigrate(migrateConfig(url, 'second-password-456'), silent);
    expect(scramVerifierMatches(await verifier(), 'first-password-123')).toBe(false);
    expect(scramVerifierMatches(await verifier(), 'second-password-456')).toBe(true);
    expect(
      await asRole(
        url,
        'second-password-456',
        async (client) => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM calls')).rows,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('when migrate runs without a password, then no role is created', async () => {
    const url = await newDatabase();
    const other = `${role}_none`;
    await runMigrate({ ...migrateConfig(url, ''), CALLPIPE_GRAFANA_DB_USER: other }, silent);
    expect(await asAdmin(url, async (client) => (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [other])).rowCount)).toBe(
      0,
    );
  });
});
