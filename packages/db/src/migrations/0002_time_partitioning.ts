import { sql, type Kysely } from 'kysely';

// Native declarative time partitioning (see the README, "Postgres at volume"). Frozen history like
// every migration: it repeats the partition naming rule (`<table>_pYYYYMMDD`, one UTC day each)
// rather than importing the maintenance code that shares it.
//
// The tables are converted in place for databases that hold data: each old table is renamed, the
// partitioned one is created with the same columns, daily partitions are created for every day the
// old rows cover, the rows are copied, and the old table is dropped. Partitions ahead of today are
// not created here (that would make the schema depend on the day it was migrated): `callpipe migrate`
// and the worker run the partition maintenance right after. Until then rows land in each table's
// DEFAULT partition, which the maintenance empties into the right daily partitions.
//
// Partition keys, fixed for every delivery of the same row:
// - call_events, cdrs: `call_day`, the UTC day callpipe first stored anything of the call (kept on
//   `calls`), so a CDR re-sent days later, or replaced by a fuller version, lands on the same row.
// - push_deliveries, rejected_pushes: `received_at`, which travels with the delivery in its job.
//
// Run it with the workers stopped: it holds exclusive locks for as long as the copy takes.

interface Converted {
  table: string;
  /** Old indexes renamed away (constraint indexes) so the new table can take the names. */
  renamedIndexes: string[];
  droppedIndexes: string[];
  /** How the rows of the old table (aliased `o`) are copied, partition key last. */
  select: string;
  /** The partition key of the new table, and its UTC day in terms of the old rows. */
  key: 'call_day' | 'received_at';
  dayOfOldRow: string;
  constraints: string[];
  indexes: string[];
}

const callDay = `COALESCE(c.call_day, (o.first_received_at AT TIME ZONE 'UTC')::date)`;

const tables: Converted[] = [
  {
    table: 'push_deliveries',
    renamedIndexes: ['push_deliveries_pkey'],
    droppedIndexes: ['push_deliveries_received_at_idx'],
    select: 'SELECT o.* FROM push_deliveries_0001 o',
    key: 'received_at',
    dayOfOldRow: `(o.received_at AT TIME ZONE 'UTC')::date`,
    constraints: ['push_deliveries_pkey PRIMARY KEY (delivery_id, received_at)'],
    indexes: ['push_deliveries_received_at_idx ON push_deliveries (received_at)'],
  },
  {
    table: 'call_events',
    renamedIndexes: ['call_events_pkey'],
    droppedIndexes: ['call_events_event_at_idx'],
    // A status event or CDR without a calls row cannot be written by callpipe (both are stored in the
    // transaction that creates the row); should one exist anyway, its own receive day keeps it.
    select: `SELECT o.*, ${callDay} FROM call_events_0001 o LEFT JOIN calls c ON c.session_id = o.session_id`,
    key: 'call_day',
    dayOfOldRow: callDay,
    constraints: ['call_events_pkey PRIMARY KEY (session_id, event_key, call_day)'],
    indexes: ['call_events_event_at_idx ON call_events (event_at)'],
  },
  {
    table: 'cdrs',
    renamedIndexes: ['cdrs_pkey'],
    droppedIndexes: ['cdrs_call_end_time_idx', 'cdrs_app_key_call_end_time_idx'],
    select: `SELECT o.*, ${callDay} FROM cdrs_0001 o LEFT JOIN calls c ON c.session_id = o.session_id`,
    key: 'call_day',
    dayOfOldRow: callDay,
    constraints: ['cdrs_pkey PRIMARY KEY (session_id, call_day)'],
    indexes: ['cdrs_call_end_time_idx ON cdrs (call_end_time)', 'cdrs_app_key_call_end_time_idx ON cdrs (app_key, call_end_time)'],
  },
  {
    table: 'rejected_pushes',
    renamedIndexes: ['rejected_pushes_pkey', 'rejected_pushes_rejection_key_key'],
    droppedIndexes: ['rejected_pushes_received_at_idx', 'rejected_pushes_reason_code_idx'],
    select: 'SELECT o.* FROM rejected_pushes_0001 o',
    key: 'received_at',
    dayOfOldRow: `(o.received_at AT TIME ZONE 'UTC')::date`,
    constraints: [
      'rejected_pushes_pkey PRIMARY KEY (id, received_at)',
      'rejected_pushes_rejection_key_key UNIQUE (rejection_key, received_at)',
    ],
    indexes: [
      'rejected_pushes_received_at_idx ON rejected_pushes (received_at)',
      'rejected_pushes_reason_code_idx ON rejected_pushes (reason_code)',
    ],
  },
];

export async function up(db: Kysely<any>): Promise<void> {
  // The anchor: the UTC day of the earliest receive of anything of the call.
  await sql`
    ALTER TABLE calls ADD COLUMN call_day date;
    UPDATE calls c SET call_day = (COALESCE(LEAST(first.event_received_at, first.cdr_received_at), c.created_at) AT TIME ZONE 'UTC')::date
    FROM (
      SELECT k.session_id,
        (SELECT min(e.first_received_at) FROM call_events e WHERE e.session_id = k.session_id) AS event_received_at,
        (SELECT d.first_received_at FROM cdrs d WHERE d.session_id = k.session_id) AS cdr_received_at
      FROM calls k
    ) first
    WHERE first.session_id = c.session_id;
    ALTER TABLE calls ALTER COLUMN call_day SET NOT NULL;
    CREATE INDEX calls_call_day_idx ON calls (call_day);
  `.execute(db);

  for (const t of tables) {
    await sql.raw(`ALTER TABLE ${t.table} RENAME TO ${t.table}_0001`).execute(db);
    for (const index of t.renamedIndexes)
      await sql.raw(`ALTER INDEX ${index} RENAME TO ${index.replace(t.table, `${t.table}_0001`)}`).execute(db);
    for (const index of t.droppedIndexes) await sql.raw(`DROP INDEX ${index}`).execute(db);
    const extra = t.key === 'call_day' ? ', call_day date NOT NULL' : '';
    await sql
      .raw(`CREATE TABLE ${t.table} (LIKE ${t.table}_0001 INCLUDING DEFAULTS INCLUDING CONSTRAINTS${extra}) PARTITION BY RANGE (${t.key})`)
      .execute(db);
    await sql.raw(`CREATE TABLE ${t.table}_default PARTITION OF ${t.table} DEFAULT`).execute(db);
    const join = t.key === 'call_day' ? 'LEFT JOIN calls c ON c.session_id = o.session_id' : '';
    const days = await sql<{ day: string }>`
      SELECT to_char(day, 'YYYY-MM-DD') AS day
      FROM generate_series((SELECT min(${sql.raw(t.dayOfOldRow)}) FROM ${sql.raw(`${t.table}_0001`)} o ${sql.raw(join)}),
                           (SELECT max(${sql.raw(t.dayOfOldRow)}) FROM ${sql.raw(`${t.table}_0001`)} o ${sql.raw(join)}),
                           interval '1 day') AS day`.execute(db);
    for (const { day } of days.rows) {
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const [from, to] = t.key === 'call_day' ? [day, next] : [`${day} 00:00:00+00`, `${next} 00:00:00+00`];
      await sql
        .raw(`CREATE TABLE ${t.table}_p${day.replaceAll('-', '')} PARTITION OF ${t.table} FOR VALUES FROM ('${from}') TO ('${to}')`)
        .execute(db);
    }
    await sql.raw(`INSERT INTO ${t.table} ${t.select}`).execute(db);
    for (const constraint of t.constraints) await sql.raw(`ALTER TABLE ${t.table} ADD CONSTRAINT ${constraint}`).execute(db);
    for (const index of t.indexes) await sql.raw(`CREATE INDEX ${index}`).execute(db);
  }
  // The sequence behind rejected_pushes.id goes on numbering where the old table stopped.
  await sql`
    ALTER SEQUENCE rejected_pushes_id_seq OWNED BY rejected_pushes.id;
    DROP TABLE push_deliveries_0001, call_events_0001, cdrs_0001, rejected_pushes_0001;
  `.execute(db);
}

/** Back to the unpartitioned tables of 0001, rows kept; fails if a key now has rows on two days. */
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of tables) {
    await sql.raw(`ALTER TABLE ${t.table} RENAME TO ${t.table}_0002`).execute(db);
    for (const index of [...t.renamedIndexes, ...t.droppedIndexes])
      await sql.raw(`ALTER INDEX ${index} RENAME TO ${index.replace(t.table, `${t.table}_0002`)}`).execute(db);
    await sql.raw(`CREATE TABLE ${t.table} (LIKE ${t.table}_0002 INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`).execute(db);
    if (t.key === 'call_day') await sql.raw(`ALTER TABLE ${t.table} DROP COLUMN call_day`).execute(db);
    const columns = await sql<{ list: string }>`
      SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS list
      FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${t.table}`.execute(db);
    const list = columns.rows[0]!.list;
    await sql.raw(`INSERT INTO ${t.table} (${list}) SELECT ${list} FROM ${t.table}_0002`).execute(db);
  }
  await sql`
    ALTER SEQUENCE rejected_pushes_id_seq OWNED BY rejected_pushes.id;
    DROP TABLE push_deliveries_0002, call_events_0002, cdrs_0002, rejected_pushes_0002;
    ALTER TABLE push_deliveries ADD CONSTRAINT push_deliveries_pkey PRIMARY KEY (delivery_id);
    CREATE INDEX push_deliveries_received_at_idx ON push_deliveries (received_at);
    ALTER TABLE call_events ADD CONSTRAINT call_events_pkey PRIMARY KEY (session_id, event_key);
    CREATE INDEX call_events_event_at_idx ON call_events (event_at);
    ALTER TABLE cdrs ADD CONSTRAINT cdrs_pkey PRIMARY KEY (session_id);
    CREATE INDEX cdrs_call_end_time_idx ON cdrs (call_end_time);
    CREATE INDEX cdrs_app_key_call_end_time_idx ON cdrs (app_key, call_end_time);
    ALTER TABLE rejected_pushes ADD CONSTRAINT rejected_pushes_pkey PRIMARY KEY (id);
    ALTER TABLE rejected_pushes ADD CONSTRAINT rejected_pushes_rejection_key_key UNIQUE (rejection_key);
    CREATE INDEX rejected_pushes_received_at_idx ON rejected_pushes (received_at);
    CREATE INDEX rejected_pushes_reason_code_idx ON rejected_pushes (reason_code);
    DROP INDEX calls_call_day_idx;
    ALTER TABLE calls DROP COLUMN call_day;
  `.execute(db);
}
