import {
  sameJson,
  deriveCall,
  factsFromCdr,
  factsFromStatusEvent,
  mergeCallFacts,
  type CallFacts,
  type CdrRecord,
  type StatusEvent,
} from '@callpipe/events';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ADVISORY_LOCK } from './advisory-locks.ts';
import type { Database } from './database.ts';
import type { AcceptedDelivery, StoreResult } from './deliveries.ts';
import { CALL_COLUMNS, callRow, CDR_DERIVED_COLUMNS, cdrDerivedRow, recordsetTypes, updateAssignments } from './row-shapes.ts';

type Db = Kysely<Database> | Transaction<Database>;

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
 * Pooler-safe (pgbouncer in transaction mode): one transaction, no session settings, no session
 * advisory locks, no named prepared statements, no temporary tables.
 */
export async function storeDeliveries(db: Kysely<Database>, deliveries: readonly AcceptedDelivery[]): Promise<StoreResult> {
  return db.transaction().execute((trx) => storeDeliveriesIn(trx, deliveries));
}

export async function storeDeliveriesIn(trx: Db, deliveries: readonly AcceptedDelivery[]): Promise<StoreResult> {
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
    lateEvents: 0,
  };
  const unique = [...new Map(deliveries.map((delivery) => [delivery.deliveryId, delivery])).values()];
  if (unique.length === 0) return result;
  const fresh = await claimDeliveries(trx, unique);
  result.freshDeliveries = fresh.length;
  result.alreadyStoredDeliveries = unique.length - fresh.length;
  if (fresh.length === 0) return result;

  const events = new Map<string, Aggregated<StatusEvent>>();
  const cdrs = new Map<string, Aggregated<CdrRecord>>();
  const facts = new Map<string, CallFacts>();
  /** Per session, the UTC day of its earliest delivery in this batch: `call_day` of a new call. */
  const firstDays = new Map<string, string>();
  const rejectedRows: RejectedRecordRow[] = [];
  const addFacts = (next: CallFacts, receivedAt: string) => {
    const existing = facts.get(next.sessionId);
    facts.set(next.sessionId, existing ? mergeCallFacts(existing, next) : next);
    const day = utcDay(receivedAt);
    const earliest = firstDays.get(next.sessionId);
    if (earliest === undefined || day < earliest) firstDays.set(next.sessionId, day);
  };

  for (const delivery of fresh) {
    if (delivery.push.kind === 'status') {
      const event = delivery.push.event;
      aggregate(events, `${event.sessionId}\u0000${event.eventKey}`, event, delivery.receivedAt, () => false);
      addFacts(factsFromStatusEvent(event), delivery.receivedAt);
    } else {
      for (const record of delivery.push.records) {
        aggregate(cdrs, record.sessionId, record, delivery.receivedAt, (current, candidate) => fuller(candidate, current));
        addFacts(factsFromCdr(record), delivery.receivedAt);
      }
      for (const rejected of delivery.push.rejectedRecords) {
        rejectedRows.push({
          rejection_key: `${delivery.deliveryId}#${rejected.index}`,
          delivery_id: delivery.deliveryId,
          record_index: rejected.index,
          reason_code: rejected.rejection.code,
          reason_message: rejected.rejection.message,
          source: delivery.source,
          received_at: delivery.receivedAt,
          record: rejected.record,
        });
      }
    }
  }

  const callOutcome = await upsertCalls(trx, facts, firstDays);
  result.callsCreated = callOutcome.created;
  result.callsUpdated = callOutcome.updated;
  result.lateEvents = callOutcome.late;
  const eventOutcome = await upsertCallEvents(trx, [...events.values()], callOutcome.callDays);
  result.eventsInserted = eventOutcome.inserted;
  result.eventsRedelivered = eventOutcome.updated;
  const cdrOutcome = await upsertCdrs(trx, [...cdrs.values()], callOutcome.callDays);
  result.cdrsInserted = cdrOutcome.inserted;
  result.cdrsRedelivered = cdrOutcome.updated;
  result.rejectedRecords = await insertRejectedRecords(trx, rejectedRows);
  return result;
}

async function claimDeliveries(trx: Db, deliveries: readonly AcceptedDelivery[]): Promise<AcceptedDelivery[]> {
  const alreadyStored = await replayedBefore(trx, deliveries);
  const rows = deliveries
    .filter((delivery) => !alreadyStored.has(delivery.deliveryId))
    .map((delivery) => ({
      delivery_id: delivery.deliveryId,
      push_kind: delivery.push.kind,
      source: delivery.source,
      received_at: delivery.receivedAt,
      record_count: delivery.push.kind === 'status' ? 1 : delivery.push.records.length,
      rejected_record_count: delivery.push.kind === 'status' ? 0 : delivery.push.rejectedRecords.length,
    }))
    .sort((a, b) => (a.delivery_id < b.delivery_id ? -1 : 1));
  if (rows.length === 0) return [];
  // The ledger's key includes the partition key; received_at travels with the job, so a re-run of
  // the same job still conflicts here.
  const claimed = await sql<{ delivery_id: string }>`
    INSERT INTO push_deliveries (delivery_id, push_kind, source, received_at, record_count, rejected_record_count)
    SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(delivery_id uuid, push_kind text, source text, received_at timestamptz, record_count integer, rejected_record_count integer)
    ON CONFLICT (delivery_id, received_at) DO NOTHING
    RETURNING delivery_id`.execute(trx);
  const claimedIds = new Set(claimed.rows.map((row) => row.delivery_id));
  return deliveries.filter((delivery) => claimedIds.has(delivery.deliveryId));
}

/**
 * Ids of deliveries whose receive time varies (replays) that the ledger already holds, on any day.
 * A transaction-scoped lock per id, taken in id order, makes two concurrent replays of the same
 * file wait for each other instead of both missing the other's uncommitted row. Live deliveries
 * skip this: their (delivery_id, received_at) is fixed, so the key's conflict is enough.
 */
async function replayedBefore(trx: Db, deliveries: readonly AcceptedDelivery[]): Promise<Set<string>> {
  const ids = [...new Set(deliveries.filter((delivery) => delivery.receivedAtVaries).map((delivery) => delivery.deliveryId))].sort();
  if (ids.length === 0) return new Set();
  await sql`
    SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.replayedDelivery}::int4, hashtext(id))
    FROM unnest(${ids}::text[]) WITH ORDINALITY AS ids(id, n) ORDER BY n`.execute(trx);
  const found = await sql<{ delivery_id: string }>`
    SELECT DISTINCT delivery_id FROM push_deliveries WHERE delivery_id = ANY(${ids}::uuid[])`.execute(trx);
  return new Set(found.rows.map((row) => row.delivery_id));
}

interface Aggregated<T> {
  item: T;
  count: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
}

function aggregate<T>(
  into: Map<string, Aggregated<T>>,
  key: string,
  item: T,
  receivedAt: string,
  replaces: (current: T, candidate: T) => boolean,
): void {
  const existing = into.get(key);
  if (!existing) {
    into.set(key, { item, count: 1, firstReceivedAt: receivedAt, lastReceivedAt: receivedAt });
    return;
  }
  existing.count += 1;
  if (receivedAt < existing.firstReceivedAt) existing.firstReceivedAt = receivedAt;
  if (receivedAt > existing.lastReceivedAt) existing.lastReceivedAt = receivedAt;
  if (replaces(existing.item, item)) existing.item = item;
}

async function upsertCallEvents(
  trx: Db,
  events: Aggregated<StatusEvent>[],
  callDays: ReadonlyMap<string, string>,
): Promise<{ inserted: number; updated: number }> {
  if (events.length === 0) return { inserted: 0, updated: 0 };
  const rows = events
    .map(({ item: e, count, firstReceivedAt, lastReceivedAt }) => ({
      session_id: e.sessionId,
      call_day: callDays.get(e.sessionId)!,
      event_key: e.eventKey,
      event_type: e.eventType,
      known_event_type: e.known,
      event_at: e.eventAt,
      caller: e.caller,
      called: e.called,
      state_code: e.stateCode,
      state_desc: e.stateDesc,
      digit_info: e.digitInfo,
      user_data: e.userData,
      party_type: e.partyType,
      payload: e.payload,
      delivery_count: count,
      first_received_at: firstReceivedAt,
      last_received_at: lastReceivedAt,
    }))
    .sort((a, b) => compareKeys(a.session_id + '\u0000' + a.event_key, b.session_id + '\u0000' + b.event_key));
  const outcome = await sql<{ session_id: string; event_key: string; delivery_count: number }>`
    INSERT INTO call_events (session_id, call_day, event_key, event_type, known_event_type, event_at, caller, called, state_code,
      state_desc, digit_info, user_data, party_type, payload, delivery_count, first_received_at, last_received_at)
    SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(session_id text, call_day date, event_key text, event_type text, known_event_type boolean, event_at timestamptz, caller text,
        called text, state_code integer, state_desc text, digit_info text, user_data text, party_type integer, payload jsonb,
        delivery_count integer, first_received_at timestamptz, last_received_at timestamptz)
    ON CONFLICT (session_id, event_key, call_day) DO UPDATE SET
      delivery_count = call_events.delivery_count + excluded.delivery_count,
      first_received_at = LEAST(call_events.first_received_at, excluded.first_received_at),
      last_received_at = GREATEST(call_events.last_received_at, excluded.last_received_at)
    RETURNING session_id, event_key, delivery_count`.execute(trx);
  const counts = new Map(rows.map((row) => [`${row.session_id}\u0000${row.event_key}`, row.delivery_count]));
  return countOutcome(
    outcome.rows.map((row) => ({ stored: row.delivery_count, sent: counts.get(`${row.session_id}\u0000${row.event_key}`)! })),
  );
}

/** Content columns of `cdrs`: everything derived from the record, and the record itself. */
const CDR_CONTENT_COLUMNS = [...CDR_DERIVED_COLUMNS.map(([column]) => column).filter((column) => column !== 'session_id'), 'record'];
const CDR_RECORDSET_TYPES = recordsetTypes([
  ...CDR_DERIVED_COLUMNS,
  ['call_day', 'date'],
  ['record', 'jsonb'],
  ['delivery_count', 'integer'],
  ['first_received_at', 'timestamptz'],
  ['last_received_at', 'timestamptz'],
]);
const CDR_COLUMNS = ['session_id', 'call_day', ...CDR_CONTENT_COLUMNS, 'delivery_count', 'first_received_at', 'last_received_at'].join(
  ', ',
);
// Of two different CDRs for one call the fuller one wins, then the larger content key, as in the
// call facts, so the outcome does not depend on which arrived first.
const CDR_CONTENT_UPDATE = CDR_CONTENT_COLUMNS.map(
  (column) =>
    `${column} = CASE WHEN (excluded.field_count, excluded.record_key) > (cdrs.field_count, cdrs.record_key) THEN excluded.${column} ELSE cdrs.${column} END`,
).join(',\n      ');

async function upsertCdrs(
  trx: Db,
  cdrs: Aggregated<CdrRecord>[],
  callDays: ReadonlyMap<string, string>,
): Promise<{ inserted: number; updated: number }> {
  if (cdrs.length === 0) return { inserted: 0, updated: 0 };
  const rows = cdrs
    .map(({ item: cdr, count, firstReceivedAt, lastReceivedAt }) => ({
      ...cdrDerivedRow(cdr),
      session_id: cdr.sessionId,
      call_day: callDays.get(cdr.sessionId)!,
      record: cdr.record,
      delivery_count: count,
      first_received_at: firstReceivedAt,
      last_received_at: lastReceivedAt,
    }))
    .sort((a, b) => compareKeys(a.session_id, b.session_id));
  const outcome = await sql<{ session_id: string; delivery_count: number }>`
    INSERT INTO cdrs (${sql.raw(CDR_COLUMNS)})
    SELECT ${sql.raw(CDR_COLUMNS)} FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(${sql.raw(CDR_RECORDSET_TYPES)})
    ON CONFLICT (session_id, call_day) DO UPDATE SET
      ${sql.raw(CDR_CONTENT_UPDATE)},
      delivery_count = cdrs.delivery_count + excluded.delivery_count,
      first_received_at = LEAST(cdrs.first_received_at, excluded.first_received_at),
      last_received_at = GREATEST(cdrs.last_received_at, excluded.last_received_at)
    RETURNING session_id, delivery_count`.execute(trx);
  const counts = new Map(rows.map((row) => [row.session_id, row.delivery_count]));
  return countOutcome(outcome.rows.map((row) => ({ stored: row.delivery_count, sent: counts.get(row.session_id)! })));
}

const CALL_RECORDSET_TYPES = recordsetTypes(CALL_COLUMNS);
const CALL_COLUMN_LIST = CALL_COLUMNS.map(([column]) => column).join(', ');
const CALL_UPDATE = updateAssignments(CALL_COLUMNS);
const STATE_RANK: Record<string, number> = { unknown: 0, dialing: 1, ringing: 2, answered: 3, ended: 4 };

async function upsertCalls(
  trx: Db,
  batchFacts: Map<string, CallFacts>,
  firstDays: ReadonlyMap<string, string>,
): Promise<{ created: number; updated: number; late: number; callDays: Map<string, string> }> {
  const sessionIds = [...batchFacts.keys()].sort(compareKeys);
  const callDays = new Map<string, string>();
  // Only calls not seen before are built and inserted (most pushes belong to a call that exists).
  // All inserts come before all row locks, each phase in key order, so writers cannot deadlock.
  const known = await sql<{ session_id: string }>`SELECT session_id FROM calls WHERE session_id = ANY(${sessionIds}::text[])`.execute(trx);
  const knownIds = new Set(known.rows.map((row) => row.session_id));
  const missing = sessionIds.filter((id) => !knownIds.has(id));
  let createdCount = 0;
  if (missing.length > 0) {
    const rows = missing.map((id) => ({ ...callRow(batchFacts.get(id)!), call_day: firstDays.get(id)! }));
    const created = await sql<{ session_id: string; call_day: string }>`
      INSERT INTO calls (${sql.raw(CALL_COLUMN_LIST)}, call_day)
      SELECT ${sql.raw(CALL_COLUMN_LIST)}, call_day FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS r(${sql.raw(CALL_RECORDSET_TYPES)}, call_day date)
      ON CONFLICT (session_id) DO NOTHING
      RETURNING session_id, call_day::text AS call_day`.execute(trx);
    for (const row of created.rows) callDays.set(row.session_id, row.call_day);
    createdCount = created.rows.length;
  }
  const existingIds = sessionIds.filter((id) => !callDays.has(id));
  if (existingIds.length === 0) return { created: createdCount, updated: 0, late: 0, callDays };

  // The row lock serializes writers of one call; the merge makes the order in which they get it irrelevant.
  const locked = await sql<{ session_id: string; facts: CallFacts; state: string; call_day: string }>`
    SELECT session_id, facts, state, call_day::text AS call_day FROM calls
    WHERE session_id = ANY(${existingIds}::text[]) ORDER BY session_id FOR UPDATE`.execute(trx);
  const changed = [];
  let late = 0;
  for (const row of locked.rows) {
    callDays.set(row.session_id, row.call_day);
    const incoming = batchFacts.get(row.session_id)!;
    const merged = mergeCallFacts(row.facts, incoming);
    if (STATE_RANK[deriveCall(incoming).state]! < STATE_RANK[row.state]!) late += 1;
    if (!sameJson(merged, row.facts)) changed.push(callRow(merged));
  }
  if (changed.length > 0) {
    await sql`
      UPDATE calls SET ${sql.raw(CALL_UPDATE)}, updated_at = now()
      FROM jsonb_to_recordset(${JSON.stringify(changed)}::jsonb) AS v(${sql.raw(CALL_RECORDSET_TYPES)})
      WHERE calls.session_id = v.session_id`.execute(trx);
  }
  return { created: createdCount, updated: changed.length, late, callDays };
}

interface RejectedRecordRow {
  rejection_key: string;
  delivery_id: string;
  record_index: number;
  reason_code: string;
  reason_message: string;
  source: string;
  received_at: string;
  record: unknown;
}

async function insertRejectedRecords(trx: Db, rows: RejectedRecordRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await sql`
    INSERT INTO rejected_pushes (rejection_key, delivery_id, record_index, stage, reason_code, reason_message, source, received_at, record)
    SELECT rejection_key, delivery_id, record_index, 'worker', reason_code, reason_message, source, received_at, record
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(rejection_key text, delivery_id uuid, record_index integer, reason_code text, reason_message text, source text,
        received_at timestamptz, record jsonb)
    ON CONFLICT (rejection_key, received_at) DO NOTHING`.execute(trx);
  return Number(inserted.numAffectedRows ?? 0);
}

/** Same order as the call facts and the SQL upsert: more fields set, then the larger content key. */
function fuller(candidate: CdrRecord, current: CdrRecord): boolean {
  if (candidate.fieldCount !== current.fieldCount) return candidate.fieldCount > current.fieldCount;
  return candidate.recordKey > current.recordKey;
}

/**
 * Inserted or updated, per returned row. `xmax = 0` cannot be read from a partitioned table's
 * RETURNING; the count tells it as well: an inserted row holds exactly the deliveries sent now, an
 * updated one also those stored before (at least one).
 */
function countOutcome(rows: ReadonlyArray<{ stored: number; sent: number }>): { inserted: number; updated: number } {
  const inserted = rows.filter((row) => row.stored === row.sent).length;
  return { inserted, updated: rows.length - inserted };
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function utcDay(instant: string | Date): string {
  return new Date(instant).toISOString().slice(0, 10);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
