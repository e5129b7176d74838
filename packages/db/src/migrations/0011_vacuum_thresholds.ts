import { sql, type Kysely } from 'kysely';

// calls and billing_contributions are not partitioned and grow with every day kept: by default
// autovacuum waits for 20 % of a table's rows to be dead, which at 400 days (~400M calls) is 80M
// dead rows, all the while the live path updates these rows and bloats the recent end of their
// indexes. Vacuum and analyze them at 1 % instead (infra/postgres/postgresql.conf has the rest).
const TABLES = ['calls', 'billing_contributions'];
const SETTINGS = ['autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_insert_scale_factor', 'autovacuum_analyze_scale_factor'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES)
    await sql`ALTER TABLE ${sql.table(table)} SET (${sql.raw(SETTINGS.map((name) => `${name} = 0.01`).join(', '))})`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await sql`ALTER TABLE ${sql.table(table)} RESET (${sql.raw(SETTINGS.join(', '))})`.execute(db);
}
