import { sql, type Kysely } from 'kysely';

// ANALYZE samples up to 30,000 rows and sorts the values of every column. For the jsonb documents
// kept beside the columns derived from them (a call's merged facts, a status push's payload, a
// CDR's record) that is a sort of whole documents, most of what an analyze costs; autovacuum runs
// it on the hot tables every few minutes while today's partitions fill. No query compares these
// documents whole, so the planner has no use for their statistics: target 0, ANALYZE skips them.
// ALTER TABLE on a partitioned table sets it on every partition it has; the partitions created
// later copy their parent's targets (partitions.ts).
const DOCUMENTS = [
  ['calls', 'facts'],
  ['call_events', 'payload'],
  ['cdrs', 'record'],
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, column] of DOCUMENTS)
    await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN ${sql.ref(column)} SET STATISTICS 0`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column] of DOCUMENTS)
    await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN ${sql.ref(column)} SET STATISTICS -1`.execute(db);
}
