import { sql, type RawBuilder } from 'kysely';
import type { Aggregated } from './aggregate-deliveries.ts';

// What `call_events` and `cdrs` share: one row per distinct content, in its call's `call_day`
// partition, counting the deliveries of that content.

/** The delivery bookkeeping of a row: its partition, how often and when it was received. */
export function deliveryColumns(
  aggregated: Aggregated<{ sessionId: string }>,
  callDays: ReadonlyMap<string, string>,
): { call_day: string; delivery_count: number; first_received_at: string; last_received_at: string } {
  return {
    call_day: callDays.get(aggregated.item.sessionId)!,
    delivery_count: aggregated.count,
    first_received_at: aggregated.firstReceivedAt,
    last_received_at: aggregated.lastReceivedAt,
  };
}

/** The `ON CONFLICT ... DO UPDATE` assignments that add a redelivery to the stored row of `table`. */
export function redeliveryAssignments(table: 'call_events' | 'cdrs'): RawBuilder<unknown> {
  return sql.raw(`delivery_count = ${table}.delivery_count + excluded.delivery_count,
      first_received_at = LEAST(${table}.first_received_at, excluded.first_received_at),
      last_received_at = GREATEST(${table}.last_received_at, excluded.last_received_at)`);
}

export interface UpsertOutcome {
  inserted: number;
  updated: number;
}

/**
 * Inserted or updated, per returned row. `xmax = 0` cannot be read from a partitioned table's
 * RETURNING; the count tells it as well: an inserted row holds exactly the deliveries sent now, an
 * updated one also those stored before (at least one).
 */
export function countOutcome(rows: ReadonlyArray<{ stored: number; sent: number }>): UpsertOutcome {
  const inserted = rows.filter(wasInserted).length;
  return { inserted, updated: rows.length - inserted };
}

export const wasInserted = (row: { stored: number; sent: number }): boolean => row.stored === row.sent;
