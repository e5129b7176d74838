import { sql, type Kysely } from 'kysely';

// Call recordings (README, "Recordings"): the platform keeps a recording for 7 days after the CDR
// push, so callpipe copies it into its own store. One row per call with a recording, created in the
// transaction that stores the CDR (INSERT … ON CONFLICT DO NOTHING, so exactly once through
// redeliveries, replays and reprocessing) and worked by the worker's recording fetcher:
// - pending: to fetch; `next_attempt_at` is when, `lease_until`/`lease_owner` the fetcher holding it
//   (a crashed fetcher's row is taken again once the lease has passed);
// - stored: the whole file is in the store (`bytes`, `sha256`, `stored_location`);
// - failed: given up (`last_error` says why: attempts used, credentials refused, nothing to ask for);
// - expired: still not stored when the platform's copy was gone (`expires_at`, first received + 7 days);
// - unavailable: the platform has no recording for the call (not found; calls under about 3 s).
// Not partitioned: one small row per recorded call, read by status and due time.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE recordings (
      session_id text PRIMARY KEY,
      app_key text,
      object_name text NOT NULL,
      record_domain text,
      bucket_name text,
      download_url text,
      talk_seconds integer,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'stored', 'failed', 'expired', 'unavailable')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      bytes bigint,
      sha256 text,
      stored_location text,
      first_seen_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      lease_until timestamptz,
      lease_owner text,
      stored_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX recordings_due ON recordings (next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`CREATE INDEX recordings_first_seen ON recordings (first_seen_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE recordings`.execute(db);
}
