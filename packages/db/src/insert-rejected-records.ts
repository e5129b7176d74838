import { sql } from 'kysely';
import type { RejectedInDelivery } from './aggregate-deliveries.ts';
import type { Db } from './database.ts';
import { columnPairs, recordsetTypes, type ColumnTypes, type RecordsetRow } from './recordset.ts';
import type { RejectedPushesTable } from './tables/rejected-pushes.ts';

/**
 * Set by the database, by the statement itself (`stage`), only for whole pushes rejected at the
 * ingest, or later by a readmission.
 */
type NotSetHere = 'id' | 'stage' | 'content_type' | 'body' | 'body_truncated' | 'stored_at' | 'readmitted_at' | 'readmitted_as';

const REJECTED_RECORD_TYPES = {
  rejection_key: 'text',
  delivery_id: 'uuid',
  record_index: 'integer',
  reason_code: 'text',
  reason_message: 'text',
  source: 'text',
  received_at: 'timestamptz',
  record: 'jsonb',
} as const satisfies ColumnTypes<RejectedPushesTable, Exclude<keyof RejectedPushesTable, NotSetHere>>;

type RejectedRecordRow = RecordsetRow<RejectedPushesTable, typeof REJECTED_RECORD_TYPES>;

const RECORDSET_TYPES = recordsetTypes(columnPairs(REJECTED_RECORD_TYPES));

/** Keeps each record rejected inside an accepted CDR push, once per delivery and index. */
export async function insertRejectedRecords(trx: Db, rejected: readonly RejectedInDelivery[]): Promise<number> {
  if (rejected.length === 0) return 0;
  const rows = rejected.map(({ delivery, rejected: { index, rejection, record } }): RejectedRecordRow => ({
    rejection_key: `${delivery.deliveryId}#${index}`,
    delivery_id: delivery.deliveryId,
    record_index: index,
    reason_code: rejection.code,
    reason_message: rejection.message,
    source: delivery.source,
    received_at: delivery.receivedAt,
    record,
  }));
  const inserted = await sql`
    INSERT INTO rejected_pushes (rejection_key, delivery_id, record_index, stage, reason_code, reason_message, source, received_at, record)
    SELECT rejection_key, delivery_id, record_index, 'worker', reason_code, reason_message, source, received_at, record
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(${sql.raw(RECORDSET_TYPES)})
    ON CONFLICT (rejection_key, received_at) DO NOTHING`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}
