import { sql, type Kysely } from 'kysely';

// `calls` and `billing_contributions` were keyed by `session_id` alone. Session ids are not in time
// order (`1201_612_4294967295_20190124030424@…`: a prefix, then the call's UTC start time), so each
// new call landed on a random leaf of a key index that grows with all history: at 400 days that is
// gigabytes no cache holds, and every first touch of a leaf after a checkpoint is a full-page write.
// Both are now unique on (callpipe_call_order(session_id), session_id): the 14 characters before
// the first '@' first (the start time, in the platform's ids), so the leaves that take new calls are
// those of recent calls. The time is only a physical order, never a fact about the call (the spec:
// do not parse the id for business logic), so it is not checked to be digits: an id of another shape
// gets another order key, '' without an '@', and is as unique as before. Two string functions, not a
// regular expression: the key is computed for every id a batch looks up (a regex cost ~9 µs each).
// Every statement that finds these rows by session id names both parts (`session-key.ts`).
//
// The function must never change behaviour while the indexes exist: a different order would leave
// them corrupt. Another order is a new function and new indexes.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION callpipe_call_order(session_id text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE
      RETURN substr(session_id, strpos(session_id, '@') - 14, 14)`.execute(db);
  for (const table of ['calls', 'billing_contributions']) {
    await sql`CREATE UNIQUE INDEX ${sql.raw(`${table}_call_key`)} ON ${sql.table(table)} ((callpipe_call_order(session_id)), session_id)`.execute(
      db,
    );
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT ${sql.raw(`${table}_pkey`)}`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['calls', 'billing_contributions']) {
    await sql`ALTER TABLE ${sql.table(table)} ADD PRIMARY KEY (session_id)`.execute(db);
    await sql`DROP INDEX ${sql.raw(`${table}_call_key`)}`.execute(db);
  }
  await sql`DROP FUNCTION callpipe_call_order(text)`.execute(db);
}
