import { sql, type Kysely, type Selectable, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { RejectedPushesTable } from './tables/rejected-pushes.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Which rejections a command looks at. Times bound `received_at`, the partition key, so old partitions are skipped. */
export interface RejectedFilter {
  code?: string;
  /** ISO time, inclusive. */
  since?: string;
  /** ISO time, exclusive. */
  until?: string;
}

/** One row of `callpipe rejected list`: everything but the bytes, and the start of them for a preview. */
export interface RejectedSummary {
  id: string;
  receivedAt: Date;
  stage: 'ingest' | 'worker';
  reasonCode: string;
  reasonMessage: string;
  source: string;
  recordIndex: number | null;
  bodyTruncated: boolean;
  readmittedAt: Date | null;
  readmittedAs: string | null;
  /** At most the first `previewBytes` bytes of the body, or of the record's JSON text. */
  head: Buffer;
}

/** A whole row, with the body or the record. */
export interface RejectedRow {
  id: string;
  rejectionKey: string;
  deliveryId: string | null;
  recordIndex: number | null;
  stage: 'ingest' | 'worker';
  reasonCode: string;
  reasonMessage: string;
  source: string;
  contentType: string | null;
  receivedAt: Date;
  /** The receive time exactly as stored (microseconds, which a Date drops): with the id, it locates the row. */
  receivedAtExact: string;
  body: Buffer | null;
  bodyTruncated: boolean;
  record: unknown;
  storedAt: Date;
  readmittedAt: Date | null;
  readmittedAs: string | null;
}

/** Where a readmitted row went: `id` and `receivedAt` locate it (the table is partitioned by `received_at`). */
export interface ReadmittedMark {
  id: string;
  receivedAtExact: string;
  deliveryId: string;
}

function filtered<O>(query: SelectQueryBuilder<Database, 'rejected_pushes', O>, filter: RejectedFilter) {
  let next = query;
  if (filter.code !== undefined) next = next.where('reason_code', '=', filter.code);
  if (filter.since !== undefined) next = next.where('received_at', '>=', sql<Date>`${filter.since}::timestamptz`);
  if (filter.until !== undefined) next = next.where('received_at', '<', sql<Date>`${filter.until}::timestamptz`);
  return next;
}

/** Newest first, without the bytes (only their head, for a preview). */
export async function listRejected(db: Db, filter: RejectedFilter & { limit: number; previewBytes?: number }): Promise<RejectedSummary[]> {
  const previewBytes = filter.previewBytes ?? 240;
  const rows = await filtered(db.selectFrom('rejected_pushes'), filter)
    .select([
      'id',
      'received_at',
      'stage',
      'reason_code',
      'reason_message',
      'source',
      'record_index',
      'body_truncated',
      'readmitted_at',
      'readmitted_as',
      sql<Buffer>`coalesce(substring(body from 1 for ${previewBytes}), convert_to(left(record::text, ${previewBytes}), 'UTF8'), ''::bytea)`.as(
        'head',
      ),
    ])
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    receivedAt: row.received_at,
    stage: row.stage,
    reasonCode: row.reason_code,
    reasonMessage: row.reason_message,
    source: row.source,
    recordIndex: row.record_index,
    bodyTruncated: row.body_truncated,
    readmittedAt: row.readmitted_at,
    readmittedAs: row.readmitted_as,
    head: row.head,
  }));
}

/** One row by id (over every partition: an id alone does not name one). */
export async function findRejected(db: Db, id: string): Promise<RejectedRow | undefined> {
  const row = await db.selectFrom('rejected_pushes').selectAll().select(exactTime).where('id', '=', id).executeTakeFirst();
  return row && toRow(row);
}

/**
 * The next rows not readmitted yet, oldest first, after `after` (keyset paging on the primary key
 * order, so rows left rejected, or not marked in a dry run, are not read again).
 */
export async function rejectedToReadmit(
  db: Db,
  filter: RejectedFilter,
  after: Pick<RejectedRow, 'id' | 'receivedAtExact'> | null,
  limit: number,
): Promise<RejectedRow[]> {
  let query = filtered(db.selectFrom('rejected_pushes'), filter).selectAll().select(exactTime).where('readmitted_at', 'is', null);
  if (after !== null) query = query.where(sql<boolean>`(received_at, id) > (${after.receivedAtExact}::timestamptz, ${after.id}::bigint)`);
  const rows = await query.orderBy('received_at').orderBy('id').limit(limit).execute();
  return rows.map(toRow);
}

/** Rows of the filter readmitted before. */
export async function countReadmitted(db: Db, filter: RejectedFilter): Promise<number> {
  const row = await filtered(db.selectFrom('rejected_pushes'), filter)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('readmitted_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Marks rows as readmitted, each as its delivery, once: a row marked already keeps its first mark.
 * Bounded by the batch's receive times so only their partitions are scanned.
 */
export async function markReadmitted(trx: Db, marks: readonly ReadmittedMark[]): Promise<number> {
  if (marks.length === 0) return 0;
  // Fixed-width UTC text sorts as the times do.
  const times = marks.map((mark) => mark.receivedAtExact).sort();
  const from = times[0]!;
  const to = times.at(-1)!;
  const rows = marks.map((mark) => ({ id: mark.id, received_at: mark.receivedAtExact, delivery_id: mark.deliveryId }));
  const result = await sql`
    UPDATE rejected_pushes AS r SET readmitted_at = now(), readmitted_as = m.delivery_id
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS m(id bigint, received_at timestamptz, delivery_id uuid)
    WHERE r.id = m.id AND r.received_at = m.received_at AND r.readmitted_at IS NULL
      AND r.received_at BETWEEN ${from}::timestamptz AND ${to}::timestamptz`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

const exactTime = sql<string>`to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('received_at_exact');

function toRow(row: Selectable<RejectedPushesTable> & { received_at_exact: string }): RejectedRow {
  return {
    id: row.id,
    rejectionKey: row.rejection_key,
    deliveryId: row.delivery_id,
    recordIndex: row.record_index,
    stage: row.stage,
    reasonCode: row.reason_code,
    reasonMessage: row.reason_message,
    source: row.source,
    contentType: row.content_type,
    receivedAt: row.received_at,
    receivedAtExact: row.received_at_exact,
    body: row.body,
    bodyTruncated: row.body_truncated,
    record: row.record,
    storedAt: row.stored_at,
    readmittedAt: row.readmitted_at,
    readmittedAs: row.readmitted_as,
  };
}
