import type { Anomaly } from '@callpipe/events';
import type { ColumnType, Generated } from 'kysely';

/** One row per HTTP push (or replayed push) that was processed: the exactly-once ledger. */
export interface PushDeliveriesTable {
  delivery_id: string;
  push_kind: 'status' | 'fee';
  source: string;
  received_at: ColumnType<Date, string, never>;
  stored_at: Generated<Date>;
  record_count: number;
  rejected_record_count: number;
  /** The push's own anomalies: a body that was not UTF-8, replaced text, more records than documented. */
  anomalies: ColumnType<Anomaly[], string | undefined, never>;
  /** The exact bytes when the stored text is not them: a body that was not UTF-8, or text Postgres cannot store replaced; else NULL. */
  original_body: ColumnType<Buffer | null, Buffer | null | undefined, never>;
}
