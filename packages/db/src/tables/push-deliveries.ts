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
}
