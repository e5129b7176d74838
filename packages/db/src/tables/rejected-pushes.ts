import type { ColumnType, Generated } from 'kysely';

/** Everything rejected, with the reason and the raw bytes, for inspection and replay. */
export interface RejectedPushesTable {
  id: Generated<string>;
  rejection_key: string;
  delivery_id: string | null;
  record_index: number | null;
  stage: 'ingest' | 'worker';
  reason_code: string;
  reason_message: string;
  source: string;
  content_type: string | null;
  received_at: ColumnType<Date, string, never>;
  body: Buffer | null;
  body_truncated: boolean;
  record: ColumnType<unknown, string | null, never>;
  stored_at: Generated<Date>;
  /** Set when a later model accepted it (`callpipe rejected readmit`): when, and as which delivery. */
  readmitted_at: ColumnType<Date | null, never, string>;
  readmitted_as: ColumnType<string | null, never, string>;
}
