import type { ColumnType } from 'kysely';

/**
 * One row per replayed delivery id (a `push_deliveries` row whose source is `replay:<file>`), with
 * that row's receive time: the exactly-once check of replays, one index probe whatever the number
 * of daily partitions.
 */
export interface ReplayedDeliveriesTable {
  delivery_id: string;
  received_at: ColumnType<Date, string, never>;
}
