import { sql, type Kysely } from 'kysely';

// Lose nothing the platform sends (see the README, "Tolerated variants"). A value that does not fit
// the model is stored NULL, or in its canonical form, and recorded as an anomaly `{field, code,
// value}` with the original value, beside the raw payload it came from:
// - call_events.anomalies, cdrs.anomalies: the event's and the record's own;
// - push_deliveries.anomalies: the push's (a body that was not UTF-8, text Postgres cannot store
//   replaced, more records than documented), and original_body, the exact bytes when the stored
//   text is not them (a body that was not UTF-8, or text Postgres cannot store replaced; NULL for
//   every other push, whose decoded text is kept in the payloads).
// rejected_pushes.readmitted_at/_as record a refusal that a later model accepted: when, and as
// which delivery (`callpipe rejected readmit`).
//
// Adding a column with a constant default rewrites no rows, on a partitioned table too.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE call_events ADD COLUMN anomalies jsonb NOT NULL DEFAULT '[]'::jsonb`.execute(db);
  await sql`ALTER TABLE cdrs ADD COLUMN anomalies jsonb NOT NULL DEFAULT '[]'::jsonb`.execute(db);
  await sql`ALTER TABLE push_deliveries ADD COLUMN anomalies jsonb NOT NULL DEFAULT '[]'::jsonb, ADD COLUMN original_body bytea`.execute(
    db,
  );
  await sql`ALTER TABLE rejected_pushes ADD COLUMN readmitted_at timestamptz, ADD COLUMN readmitted_as uuid`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE rejected_pushes DROP COLUMN readmitted_at, DROP COLUMN readmitted_as`.execute(db);
  await sql`ALTER TABLE push_deliveries DROP COLUMN anomalies, DROP COLUMN original_body`.execute(db);
  await sql`ALTER TABLE cdrs DROP COLUMN anomalies`.execute(db);
  await sql`ALTER TABLE call_events DROP COLUMN anomalies`.execute(db);
}
