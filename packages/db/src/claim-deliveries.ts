import { sql } from 'kysely';
import type { Db } from './database.ts';
import type { AcceptedDelivery } from './deliveries.ts';
import { byteaText, columnList, columnPairs, compareKeys, recordsetTypes, type ColumnTypes, type RecordsetRow } from './recordset.ts';
import type { PushDeliveriesTable } from './tables/push-deliveries.ts';

const LEDGER_TYPES = {
  delivery_id: 'uuid',
  push_kind: 'text',
  source: 'text',
  received_at: 'timestamptz',
  record_count: 'integer',
  rejected_record_count: 'integer',
  anomalies: 'jsonb',
  original_body: 'bytea',
} as const satisfies ColumnTypes<PushDeliveriesTable, Exclude<keyof PushDeliveriesTable, 'stored_at'>>;

/** Every column of `push_deliveries` with its type, as the migrations create it (checked by a test). */
export const PUSH_DELIVERIES_TYPES = { ...LEDGER_TYPES, stored_at: 'timestamptz' } as const satisfies ColumnTypes<PushDeliveriesTable>;

type LedgerRow = RecordsetRow<PushDeliveriesTable, typeof LEDGER_TYPES>;

const LEDGER_COLUMNS = columnPairs(LEDGER_TYPES);

/**
 * Enters the deliveries in the exactly-once ledger and returns those entered now; the others had
 * been stored before (a retried or re-run job).
 */
export async function claimDeliveries(trx: Db, deliveries: readonly AcceptedDelivery[]): Promise<AcceptedDelivery[]> {
  const alreadyStored = await replayedBefore(trx, deliveries);
  const rows = deliveries
    .filter((delivery) => !alreadyStored.has(delivery.deliveryId))
    .map((delivery): LedgerRow => ({
      delivery_id: delivery.deliveryId,
      push_kind: delivery.push.kind,
      source: delivery.source,
      received_at: delivery.receivedAt,
      record_count: delivery.push.kind === 'status' ? 1 : delivery.push.records.length,
      rejected_record_count: delivery.push.kind === 'status' ? 0 : delivery.push.rejectedRecords.length,
      anomalies: delivery.anomalies ?? [],
      original_body: delivery.originalBodyBase64 ? byteaText(Buffer.from(delivery.originalBodyBase64, 'base64')) : null,
    }))
    .sort((a, b) => compareKeys(a.delivery_id, b.delivery_id));
  if (rows.length === 0) return [];
  // The ledger's key includes the partition key; received_at travels with the job, so a re-run of
  // the same job still conflicts here.
  const claimed = await sql<{ delivery_id: string }>`
    INSERT INTO push_deliveries (${sql.raw(columnList(LEDGER_COLUMNS))})
    SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(${sql.raw(recordsetTypes(LEDGER_COLUMNS))})
    ON CONFLICT (delivery_id, received_at) DO NOTHING
    RETURNING delivery_id`.execute(trx);
  const claimedIds = new Set(claimed.rows.map((row) => row.delivery_id));
  return deliveries.filter((delivery) => claimedIds.has(delivery.deliveryId));
}

/**
 * Ids of deliveries whose receive time varies (replays) that were replayed before, on any day.
 * Each id is claimed in `replayed_deliveries`, the small unpartitioned ledger of replayed ids, in
 * id order: one index probe per id whatever the number of daily partitions. A concurrent replay of
 * the same file that inserted an id first makes this insert wait for its commit and then skip the
 * id (or take it, should that transaction roll back), so two replays at once store it once. Live
 * deliveries skip this: their (delivery_id, received_at) is fixed, so the key's conflict is enough.
 */
async function replayedBefore(trx: Db, deliveries: readonly AcceptedDelivery[]): Promise<Set<string>> {
  const replayed = new Map<string, string>();
  for (const delivery of deliveries) if (delivery.receivedAtVaries) replayed.set(delivery.deliveryId, delivery.receivedAt);
  if (replayed.size === 0) return new Set();
  const ids = [...replayed.keys()].sort(compareKeys);
  const claimed = await sql<{ delivery_id: string }>`
    INSERT INTO replayed_deliveries (delivery_id, received_at)
    SELECT id, at FROM unnest(${ids}::uuid[], ${ids.map((id) => replayed.get(id)!)}::timestamptz[]) AS r(id, at)
    ORDER BY id
    ON CONFLICT (delivery_id) DO NOTHING
    RETURNING delivery_id`.execute(trx);
  const claimedIds = new Set(claimed.rows.map((row) => row.delivery_id));
  return new Set(ids.filter((id) => !claimedIds.has(id)));
}
