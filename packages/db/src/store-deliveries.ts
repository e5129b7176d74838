import { DEFAULT_BILLING_TIME_ZONE } from '@callpipe/events';
import type { Kysely } from 'kysely';
import { aggregateDeliveries, distinctDeliveries } from './aggregate-deliveries.ts';
import { refreshBillingRollup } from './billing-rollup.ts';
import { claimDeliveries } from './claim-deliveries.ts';
import type { Database, Db } from './database.ts';
import type { AcceptedDelivery, StoreResult } from './deliveries.ts';
import { insertRejectedRecords } from './insert-rejected-records.ts';
import { upsertCallEvents } from './upsert-call-events.ts';
import { upsertCalls } from './upsert-calls.ts';
import { loadTariffs } from './tariffs-queries.ts';
import { upsertCdrs } from './upsert-cdrs.ts';
import { createRecordingTasks } from './recording-tasks.ts';

export interface StoreOptions {
  /** CALLPIPE_BILLING_TIME_ZONE: the billing days of billing_daily. */
  billingTimeZone?: string;
}

/**
 * Stores a batch of deliveries in one transaction, exactly once per delivery id.
 *
 * Deliveries already in `push_deliveries` are skipped, so a job retried after a crash between commit
 * and ack counts nothing twice. Redeliveries of the same content (a CDR re-pushed hourly, an event
 * sent twice) become one row with a `delivery_count`. The `calls` row is the derivation of merged
 * call facts, and the merge is order-independent, so concurrent workers only need the row lock that
 * the upsert takes anyway. Rows are written in key order so concurrent batches do not deadlock.
 *
 * The `calls` rows are upserted first: their locks serialize every writer of a call (all writers
 * take them first, in session-id order), and they give each call its `call_day`, the UTC day
 * callpipe first stored anything of it. A call's events and CDR live in the partition of that day,
 * whatever their own times and whenever they are re-sent, so every delivery of a row hits the same
 * row. The derived call state does not depend on `call_day`.
 *
 * Every CDR is rated with the tariffs as this transaction sees them, and billing_daily is brought up
 * to date with the calls the batch changed last, under their row locks (see billing-rollup.ts).
 *
 * Pooler-safe (pgbouncer in transaction mode): one transaction, no session settings, no session
 * advisory locks, no named prepared statements, no temporary tables.
 */
export async function storeDeliveries(
  db: Kysely<Database>,
  deliveries: readonly AcceptedDelivery[],
  options: StoreOptions = {},
): Promise<StoreResult> {
  return db.transaction().execute((trx) => storeDeliveriesIn(trx, deliveries, options));
}

export async function storeDeliveriesIn(
  trx: Db,
  deliveries: readonly AcceptedDelivery[],
  options: StoreOptions = {},
): Promise<StoreResult> {
  const result: StoreResult = {
    freshDeliveries: 0,
    alreadyStoredDeliveries: 0,
    eventsInserted: 0,
    eventsRedelivered: 0,
    cdrsInserted: 0,
    cdrsRedelivered: 0,
    callsCreated: 0,
    callsUpdated: 0,
    rejectedRecords: 0,
    lateCalls: 0,
  };
  const unique = distinctDeliveries(deliveries);
  if (unique.length === 0) return result;
  const fresh = await claimDeliveries(trx, unique);
  result.freshDeliveries = fresh.length;
  result.alreadyStoredDeliveries = unique.length - fresh.length;
  if (fresh.length === 0) return result;

  const batch = aggregateDeliveries(fresh);
  const calls = await upsertCalls(trx, batch.facts, batch.firstDays);
  result.callsCreated = calls.created;
  result.callsUpdated = calls.updated;
  result.lateCalls = calls.late;
  const events = await upsertCallEvents(trx, batch.events, calls.callDays);
  result.eventsInserted = events.inserted;
  result.eventsRedelivered = events.updated;
  const tariffs = batch.cdrs.length === 0 ? [] : await loadTariffs(trx);
  const cdrs = await upsertCdrs(trx, batch.cdrs, calls.callDays, tariffs);
  result.cdrsInserted = cdrs.inserted;
  result.cdrsRedelivered = cdrs.updated;
  // In the CDRs' transaction, so a stored CDR with a recording always has its task.
  const cdrSessions = batch.cdrs.map((cdr) => cdr.item.sessionId);
  await createRecordingTasks(
    trx,
    cdrSessions,
    cdrSessions.map((sessionId) => calls.callDays.get(sessionId)!),
  );
  result.rejectedRecords = await insertRejectedRecords(trx, batch.rejected);
  // A call's contribution is a function of its calls and cdrs rows: one whose rows this transaction
  // left as they were (a redelivery: an event or CDR re-sent) still has the contribution it had.
  // A CDR that replaces a stored one changes the call's facts too (the same precedence rule).
  const changed = new Set([...calls.written, ...cdrs.insertedSessions]);
  const rollupDays = new Map([...calls.callDays].filter(([sessionId]) => changed.has(sessionId)));
  await refreshBillingRollup(trx, rollupDays, options.billingTimeZone ?? DEFAULT_BILLING_TIME_ZONE);
  return result;
}
