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
  const inserted = rows.filter((row) => row.stored === row.sent).length;
  return { inserted, updated: rows.length - inserted };
}
