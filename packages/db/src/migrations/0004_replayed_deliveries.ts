import { sql, type Kysely } from 'kysely';

// The exactly-once check of replays (see the README, "Replaying CDR files"). A replayed delivery's
// id derives from its file, its receive time is the replay's, so `push_deliveries`' key
// (delivery_id, received_at) cannot find a second replay of the same file: the id had to be looked
// up in every daily partition, which with a year of partitions made replay crawl. This small
// unpartitioned table holds one row per replayed delivery id; the check is one index probe, and
// `INSERT … ON CONFLICT DO NOTHING` on its key makes two concurrent replays of one file wait for
// each other. Its rows are kept in step with the `push_deliveries` rows of replays: same id, same
// receive time, deleted by the retention when that day's partitions are dropped.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE replayed_deliveries (
      delivery_id uuid PRIMARY KEY,
      received_at timestamptz NOT NULL
    );
    CREATE INDEX replayed_deliveries_received_at_idx ON replayed_deliveries (received_at);
    INSERT INTO replayed_deliveries (delivery_id, received_at)
    SELECT DISTINCT ON (delivery_id) delivery_id, received_at FROM push_deliveries
    WHERE source LIKE 'replay:%'
    ORDER BY delivery_id, received_at;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE replayed_deliveries`.execute(db);
}
