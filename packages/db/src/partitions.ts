import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { errorCode } from '@callpipe/runtime';
import { ADVISORY_LOCK } from './advisory-locks.ts';
import type { Database } from './database.ts';
import { addDays, utcDay } from './days.ts';
import { callKeyMatches, callKeyOf } from './session-key.ts';
import { PG_ERROR } from './sqlstate.ts';

/**
 * The time-partitioned tables: daily partitions `<table>_pYYYYMMDD` (one UTC day each) and a
 * `<table>_default` partition that takes whatever has no partition yet, so an insert never fails.
 * Migration 0002 created them; this module keeps the daily partitions ahead of time and drops
 * expired ones.
 */
export const PARTITIONED_TABLES = [
  { table: 'call_events', key: 'call_day' },
  { table: 'cdrs', key: 'call_day' },
  { table: 'push_deliveries', key: 'received_at' },
  { table: 'rejected_pushes', key: 'received_at' },
] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];
type TableSpec = (typeof PARTITIONED_TABLES)[number];

export interface PartitionMaintenanceOptions {
  /** Defaults to the current time; today is its UTC day. */
  now?: Date;
  /** Daily partitions are kept from yesterday to today + aheadDays. */
  aheadDays: number;
  /** 0 keeps everything; otherwise days before today − retentionDays are dropped (at least 2). */
  retentionDays: number;
  /** How long one step waits for its table locks before the run gives up (until the next run). */
  lockTimeoutMs?: number;
  /** Expired `calls` rows deleted per transaction. */
  deleteBatchSize?: number;
  /**
   * Called for each expired day before anything of it is deleted; the day is dropped only when it
   * resolves. When it rejects, the day is kept whole (and tried again next run) and the run goes on
   * with the next day. Without it, expired days are deleted unarchived.
   */
  archiveDay?: (day: string) => Promise<void>;
}

export interface PartitionMaintenanceResult {
  /** Another runner held the maintenance lock, so this one stopped; the other does the same work. */
  contended: boolean;
  /** The step that could not get its table locks within the lock timeout; the run stopped there. */
  lockTimeout: string | null;
  created: string[];
  /** Rows that were in a DEFAULT partition, moved into the partition created for their day. */
  moved: Array<{ partition: string; rows: number }>;
  dropped: string[];
  /** `calls` rows whose call_day is before the retention cutoff (calls is not partitioned). */
  callsDeleted: number;
  /** Rows older than the cutoff found in DEFAULT partitions and deleted with the rest. */
  defaultRowsDeleted: number;
  /** `replayed_deliveries` rows of the dropped days, deleted with their `push_deliveries` rows. */
  replayedDeliveriesDeleted: number;
  /** Expired days archived (then dropped) by `archiveDay`. */
  archived: string[];
  /** Expired days kept because `archiveDay` failed for them, with its message. */
  archiveFailed: Array<{ day: string; error: string }>;
  /** Rows in each DEFAULT partition after the run: 0 unless rows arrived while it ran. */
  defaultRows: Record<PartitionedTable, number>;
}

const DEFAULT_LOCK_TIMEOUT_MS = 2_000;
const DEFAULT_DELETE_BATCH = 5_000;

class Contended extends Error {}

/**
 * Creates the missing daily partitions from yesterday to today + `aheadDays` for every partitioned
 * table (and for any day that has rows waiting in a DEFAULT partition, moving them in), then, with
 * a retention, deletes expired `calls` rows in batches and drops the partitions entirely before
 * the cutoff. Idempotent; safe to run from every worker at once.
 *
 * Each step is its own short transaction: `SET LOCAL lock_timeout`, then
 * `pg_try_advisory_xact_lock`. When another runner holds that lock this run stops (the other one
 * is doing the same work), so concurrent runners never run DDL side by side and never wait on
 * each other. Everything is transaction-scoped, so it runs through a pooler in transaction mode.
 * A new partition is created as a plain table and attached, which takes only SHARE UPDATE
 * EXCLUSIVE on the parent (writers and readers go on); dropping one needs ACCESS EXCLUSIVE for a
 * moment, which is what the lock timeout bounds.
 */
export async function ensurePartitions(db: Kysely<Database>, options: PartitionMaintenanceOptions): Promise<PartitionMaintenanceResult> {
  const { aheadDays, retentionDays } = options;
  if (!Number.isInteger(aheadDays) || aheadDays < 0) throw new RangeError(`aheadDays must be a whole number ≥ 0, got ${aheadDays}`);
  if (!Number.isInteger(retentionDays) || retentionDays < 0 || retentionDays === 1) {
    throw new RangeError(`retentionDays must be 0 (keep everything) or a whole number ≥ 2, got ${retentionDays}`);
  }
  const today = utcDay(options.now ?? new Date());
  const cutoff = retentionDays > 0 ? addDays(today, -retentionDays) : null;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const batchSize = options.deleteBatchSize ?? DEFAULT_DELETE_BATCH;
  const result: PartitionMaintenanceResult = {
    contended: false,
    lockTimeout: null,
    created: [],
    moved: [],
    dropped: [],
    callsDeleted: 0,
    defaultRowsDeleted: 0,
    replayedDeliveriesDeleted: 0,
    archived: [],
    archiveFailed: [],
    defaultRows: { call_events: 0, cdrs: 0, push_deliveries: 0, rejected_pushes: 0 },
  };
  const step: Step = async (what, work) => {
    try {
      const value = await db.transaction().execute(async (trx) => {
        await sql.raw(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`).execute(trx);
        const lock = await sql<{
          locked: boolean;
        }>`SELECT pg_try_advisory_xact_lock(${ADVISORY_LOCK.partitionMaintenance}::int4, 0) AS locked`.execute(trx);
        if (!lock.rows[0]!.locked) throw new Contended();
        return work(trx);
      });
      return { done: true, value };
    } catch (error) {
      if (error instanceof Contended) result.contended = true;
      else if (errorCode(error) === PG_ERROR.lockNotAvailable) result.lockTimeout = what;
      else throw error;
      return { done: false };
    }
  };

  await maintain(db, { today, cutoff, aheadDays, batchSize, archiveDay: options.archiveDay }, result, step);
  for (const spec of PARTITIONED_TABLES) result.defaultRows[spec.table] = await defaultRowCount(db, spec.table);
  return result;
}

type Step = <T>(what: string, work: (trx: Transaction<Database>) => Promise<T>) => Promise<{ done: true; value: T } | { done: false }>;

/** The steps in order; returns early when a step could not run (contended, lock timeout). */
async function maintain(
  db: Kysely<Database>,
  {
    today,
    cutoff,
    aheadDays,
    batchSize,
    archiveDay,
  }: {
    today: string;
    cutoff: string | null;
    aheadDays: number;
    batchSize: number;
    archiveDay: ((day: string) => Promise<void>) | undefined;
  },
  result: PartitionMaintenanceResult,
  step: Step,
): Promise<void> {
  const wanted = Array.from({ length: aheadDays + 2 }, (_, i) => addDays(today, i - 1));
  for (const spec of PARTITIONED_TABLES) {
    const existing = new Set((await partitionDays(db, spec.table)).map((partition) => partition.day));
    // Days waiting in the DEFAULT partition get their partition too (rows from before the
    // maintenance first ran, replays of old days, a maintenance outage longer than aheadDays).
    const waiting = (await daysInDefault(db, spec)).filter((day) => cutoff === null || day >= cutoff);
    const missing = [...new Set([...wanted, ...waiting])].filter((day) => !existing.has(day)).sort();
    for (const day of missing) {
      const outcome = await step(`create ${partitionName(spec.table, day)}`, (trx) => createPartition(trx, spec, day));
      if (!outcome.done) return;
      if (outcome.value.created) result.created.push(outcome.value.partition);
      if (outcome.value.moved > 0) result.moved.push({ partition: outcome.value.partition, rows: outcome.value.moved });
    }
  }
  if (cutoff === null) return;
  if (archiveDay !== undefined) return retireArchivedDays(db, { cutoff, batchSize, archiveDay }, result, step);

  // calls first: a call whose row is gone starts over (new call_day) if anything of it comes back,
  // rather than pointing into a partition about to be dropped.
  for (;;) {
    const outcome = await step('delete expired calls', (trx) => deleteCalls(trx, sql`call_day < ${cutoff}::date`, batchSize));
    if (!outcome.done) return;
    result.callsDeleted += outcome.value;
    if (outcome.value < batchSize) break;
  }
  for (const spec of PARTITIONED_TABLES) {
    for (const partition of await partitionDays(db, spec.table)) {
      if (partition.day >= cutoff) continue;
      const outcome = await step(`drop ${partition.name}`, async (trx) => {
        const exists = await sql<{ oid: string | null }>`SELECT to_regclass(${partition.name})::text AS oid`.execute(trx);
        if (exists.rows[0]!.oid === null) return false;
        await sql`DROP TABLE ${sql.table(partition.name)}`.execute(trx);
        return true;
      });
      if (!outcome.done) return;
      if (outcome.value) result.dropped.push(partition.name);
    }
    const outcome = await step(`delete expired rows of ${spec.table}_default`, async (trx) => {
      const deleted =
        await sql`DELETE FROM ${sql.table(`${spec.table}_default`)} WHERE ${sql.ref(spec.key)} < ${lowerBound(spec, cutoff)}`.execute(trx);
      return Number(deleted.numAffectedRows ?? 0);
    });
    if (!outcome.done) return;
    result.defaultRowsDeleted += outcome.value;
  }
  // The replay ledger follows the push_deliveries rows it mirrors: once a day's are gone, a replay
  // of that day's file is a new delivery again, as it was before the ledger existed.
  for (;;) {
    const outcome = await step('delete expired replayed deliveries', async (trx) => {
      const deleted = await sql`
        DELETE FROM replayed_deliveries WHERE delivery_id IN (
          SELECT delivery_id FROM replayed_deliveries WHERE received_at < ${`${cutoff} 00:00:00+00`}::timestamptz
          LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`.execute(trx);
      return Number(deleted.numAffectedRows ?? 0);
    });
    if (!outcome.done) return;
    result.replayedDeliveriesDeleted += outcome.value;
    if (outcome.value < batchSize) break;
  }
}

/**
 * The retention with an archive, one day at a time, oldest first: archive the day, then delete its
 * calls, drop its partitions and delete its DEFAULT rows, in that order (as without an archive). A
 * day whose archive failed is kept whole.
 */
async function retireArchivedDays(
  db: Kysely<Database>,
  { cutoff, batchSize, archiveDay }: { cutoff: string; batchSize: number; archiveDay: (day: string) => Promise<void> },
  result: PartitionMaintenanceResult,
  step: Step,
): Promise<void> {
  for (const day of await expiredDays(db, cutoff)) {
    try {
      await archiveDay(day);
    } catch (error) {
      result.archiveFailed.push({ day, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    result.archived.push(day);
    for (;;) {
      const outcome = await step(`delete calls of ${day}`, (trx) => deleteCalls(trx, sql`call_day = ${day}::date`, batchSize));
      if (!outcome.done) return;
      result.callsDeleted += outcome.value;
      if (outcome.value < batchSize) break;
    }
    for (const spec of PARTITIONED_TABLES) {
      const partition = partitionName(spec.table, day);
      const dropped = await step(`drop ${partition}`, async (trx) => {
        const exists = await sql<{ oid: string | null }>`SELECT to_regclass(${partition})::text AS oid`.execute(trx);
        if (exists.rows[0]!.oid === null) return false;
        await sql`DROP TABLE ${sql.table(partition)}`.execute(trx);
        return true;
      });
      if (!dropped.done) return;
      if (dropped.value) result.dropped.push(partition);
      const deleted = await step(`delete rows of ${day} from ${spec.table}_default`, async (trx) => {
        const rows = await sql`
          DELETE FROM ${sql.table(`${spec.table}_default`)}
          WHERE ${sql.ref(spec.key)} >= ${lowerBound(spec, day)} AND ${sql.ref(spec.key)} < ${lowerBound(spec, addDays(day, 1))}`.execute(
          trx,
        );
        return Number(rows.numAffectedRows ?? 0);
      });
      if (!deleted.done) return;
      result.defaultRowsDeleted += deleted.value;
    }
    // As without an archive: the replay ledger follows the day's push_deliveries rows.
    const ledger = await step(`delete replayed deliveries of ${day}`, async (trx) => {
      const rows = await sql`
        DELETE FROM replayed_deliveries
        WHERE received_at >= ${`${day} 00:00:00+00`}::timestamptz AND received_at < ${`${addDays(day, 1)} 00:00:00+00`}::timestamptz`.execute(
        trx,
      );
      return Number(rows.numAffectedRows ?? 0);
    });
    if (!ledger.done) return;
    result.replayedDeliveriesDeleted += ledger.value;
  }
}

/**
 * One batch of the calls matching `where`, with their billing contributions: billing_daily keeps
 * their days (the books outlive the raw data). Returns how many calls were deleted.
 */
async function deleteCalls(trx: Transaction<Database>, where: RawBuilder<unknown>, batchSize: number): Promise<number> {
  const deleted = await sql<{ n: string }>`
    WITH gone AS (
      DELETE FROM calls WHERE ${callKeyOf('session_id')} IN (
        SELECT callpipe_call_order(session_id), session_id FROM calls WHERE ${where} LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
      RETURNING session_id),
    contributions AS (DELETE FROM billing_contributions b USING gone WHERE ${callKeyMatches('b.session_id', 'gone.session_id')})
    SELECT count(*) AS n FROM gone`.execute(trx);
  return Number(deleted.rows[0]?.n ?? 0);
}

/** The days before `cutoff` that hold rows anywhere: `calls`, daily partitions, DEFAULT partitions; oldest first. */
export async function expiredDays(db: Kysely<Database>, cutoff: string): Promise<string[]> {
  const days = new Set<string>();
  const calls = await sql<{ day: string }>`SELECT DISTINCT call_day::text AS day FROM calls WHERE call_day < ${cutoff}::date`.execute(db);
  for (const row of calls.rows) days.add(row.day);
  for (const spec of PARTITIONED_TABLES) {
    for (const partition of await partitionDays(db, spec.table)) if (partition.day < cutoff) days.add(partition.day);
    for (const day of await daysInDefault(db, spec)) if (day < cutoff) days.add(day);
  }
  return [...days].sort();
}

/**
 * Creates the day's partition of every partitioned table where it is missing (a restore of a
 * dropped day). Waits for a maintenance run in progress rather than running DDL beside it.
 */
export async function ensureDayPartitions(db: Kysely<Database>, day: string): Promise<string[]> {
  const created: string[] = [];
  for (const spec of PARTITIONED_TABLES) {
    const outcome = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.partitionMaintenance}::int4, 0)`.execute(trx);
      return createPartition(trx, spec, day);
    });
    if (outcome.created) created.push(outcome.partition);
  }
  return created;
}

async function createPartition(
  trx: Transaction<Database>,
  spec: TableSpec,
  day: string,
): Promise<{ partition: string; created: boolean; moved: number }> {
  const partition = partitionName(spec.table, day);
  const exists = await sql<{ oid: string | null }>`SELECT to_regclass(${partition})::text AS oid`.execute(trx);
  if (exists.rows[0]!.oid !== null) return { partition, created: false, moved: 0 };
  const parent = sql.table(spec.table);
  const defaultPartition = sql.table(`${spec.table}_default`);
  const from = lowerBound(spec, day);
  const to = lowerBound(spec, addDays(day, 1));
  const bounds = sql.raw(`FOR VALUES FROM ('${from}') TO ('${to}')`);
  const rowsWaiting = async () =>
    (
      await sql<{ found: boolean }>`
        SELECT EXISTS (SELECT 1 FROM ${defaultPartition} WHERE ${sql.ref(spec.key)} >= ${from} AND ${sql.ref(spec.key)} < ${to}) AS found`.execute(
        trx,
      )
    ).rows[0]!.found;
  // Detaching the default needs the parent exclusively: take it before the default, in the order
  // readers and writers lock (parent, then partition), or a writer holding the parent and waiting
  // for the default deadlocks with us. A first look without locks says whether that will be needed.
  const expectedWaiting = await rowsWaiting();
  if (expectedWaiting) await sql`LOCK TABLE ${parent} IN ACCESS EXCLUSIVE MODE`.execute(trx);
  // Locked before the look, so no row for this day can land in it between the look and the attach.
  await sql`LOCK TABLE ${defaultPartition} IN ACCESS EXCLUSIVE MODE`.execute(trx);
  const waiting = await rowsWaiting();
  if (!waiting) {
    await sql`CREATE TABLE ${sql.table(partition)} (LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`.execute(trx);
    await copyStatisticsTargets(trx, spec.table, partition);
    await sql`ALTER TABLE ${parent} ATTACH PARTITION ${sql.table(partition)} ${bounds}`.execute(trx);
    return { partition, created: true, moved: 0 };
  }
  // Rows of this day wait in the DEFAULT partition: a partition whose range they fall in cannot be
  // attached next to them, so take the default out, create the partition, move them, put it back.
  await sql`ALTER TABLE ${parent} DETACH PARTITION ${defaultPartition}`.execute(trx);
  await sql`CREATE TABLE ${sql.table(partition)} PARTITION OF ${parent} ${bounds}`.execute(trx);
  await copyStatisticsTargets(trx, spec.table, partition);
  const moved = await sql`
    WITH moved AS (DELETE FROM ${defaultPartition} WHERE ${sql.ref(spec.key)} >= ${from} AND ${sql.ref(spec.key)} < ${to} RETURNING *)
    INSERT INTO ${sql.table(partition)} SELECT * FROM moved`.execute(trx);
  await sql`ALTER TABLE ${parent} ATTACH PARTITION ${defaultPartition} DEFAULT`.execute(trx);
  return { partition, created: true, moved: Number(moved.numAffectedRows ?? 0) };
}

/**
 * A new partition gets no per-column statistics target from its parent (neither `LIKE` nor
 * `PARTITION OF` copies one), so the columns ANALYZE is told to skip (migration 0012) would be
 * analyzed again on every new day.
 */
async function copyStatisticsTargets(trx: Transaction<Database>, parent: string, partition: string): Promise<void> {
  const targets = await sql<{ column: string; target: number }>`
    SELECT attname AS column, attstattarget AS target FROM pg_attribute
    WHERE attrelid = ${parent}::regclass AND attnum > 0 AND NOT attisdropped AND attstattarget >= 0`.execute(trx);
  for (const { column, target } of targets.rows)
    await sql`ALTER TABLE ${sql.table(partition)} ALTER COLUMN ${sql.ref(column)} SET STATISTICS ${sql.lit(target)}`.execute(trx);
}

export interface PartitionInfo {
  name: string;
  /** The UTC day it holds, `YYYY-MM-DD`. */
  day: string;
  /** Postgres's estimate (pg_class.reltuples, as of the last ANALYZE or VACUUM); 0 when never analyzed. */
  rowEstimate: number;
  bytes: number;
}

/** The daily partitions of a table, oldest first (the DEFAULT partition is not one of them), with their sizes. */
export async function listPartitions(db: Kysely<Database> | Transaction<Database>, table: PartitionedTable): Promise<PartitionInfo[]> {
  const rows = await sql<{ name: string; estimate: number; bytes: string }>`
    SELECT c.relname AS name, greatest(c.reltuples, 0)::float8 AS estimate, pg_total_relation_size(c.oid)::text AS bytes
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(${table})`.execute(db);
  return dailyPartitions(table, rows.rows).map(({ row, ...partition }) => ({
    ...partition,
    rowEstimate: Math.round(row.estimate),
    bytes: Number(row.bytes),
  }));
}

/**
 * The daily partitions of a table, oldest first, without sizes: what the maintenance needs. Sizes
 * cost a look at every file of every partition and its indexes (`pg_total_relation_size`): 0.6 s
 * of Postgres time for the four tables at 400 days (the volume benchmark), at every worker start.
 */
async function partitionDays(
  db: Kysely<Database> | Transaction<Database>,
  table: PartitionedTable,
): Promise<Array<{ name: string; day: string }>> {
  const rows = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = to_regclass(${table})`.execute(db);
  return dailyPartitions(table, rows.rows);
}

/** Of a table's partitions, the daily ones (named `<table>_pYYYYMMDD`), with their day, oldest first. */
function dailyPartitions<Row extends { name: string }>(
  table: PartitionedTable,
  rows: readonly Row[],
): Array<{ name: string; day: string; row: Row }> {
  const pattern = new RegExp(`^${table}_p(\\d{4})(\\d{2})(\\d{2})$`);
  return rows
    .flatMap((row) => {
      const match = pattern.exec(row.name);
      return match ? [{ name: row.name, day: `${match[1]}-${match[2]}-${match[3]}`, row }] : [];
    })
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** Exact: the DEFAULT partitions are meant to stay empty, so counting them is cheap. */
export async function defaultRowCount(db: Kysely<Database> | Transaction<Database>, table: PartitionedTable): Promise<number> {
  const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(`${table}_default`)}`.execute(db);
  return Number(rows.rows[0]!.n);
}

export interface PartitionStatus {
  table: PartitionedTable;
  partitions: PartitionInfo[];
  defaultRows: number;
}

/** Every partitioned table with its daily partitions and the rows waiting in its DEFAULT partition. */
export async function partitionStatus(db: Kysely<Database>): Promise<PartitionStatus[]> {
  const status: PartitionStatus[] = [];
  for (const { table } of PARTITIONED_TABLES)
    status.push({ table, partitions: await listPartitions(db, table), defaultRows: await defaultRowCount(db, table) });
  return status;
}

export function partitionName(table: PartitionedTable, day: string): string {
  return `${table}_p${day.replaceAll('-', '')}`;
}

async function daysInDefault(db: Kysely<Database>, spec: TableSpec): Promise<string[]> {
  const day = spec.key === 'call_day' ? sql`call_day` : sql`(received_at AT TIME ZONE 'UTC')::date`;
  const rows = await sql<{ day: string }>`SELECT DISTINCT ${day}::text AS day FROM ${sql.table(`${spec.table}_default`)}`.execute(db);
  return rows.rows.map((row) => row.day);
}

/** The first instant of a UTC day in the key's type, as a literal. */
function lowerBound(spec: TableSpec, day: string): string {
  return spec.key === 'call_day' ? day : `${day} 00:00:00+00`;
}
