import {
  CALL_COLUMNS,
  CALL_EVENT_DERIVED_COLUMNS,
  callEventDerivedRow,
  callRow,
  CDR_DERIVED_COLUMNS,
  cdrDerivedRow,
  changedColumns,
  loadTariffs,
  readStoredCalls,
  refreshBillingRollup,
  selectCallIds,
  updateCallRows,
  updateDerivedCallEvents,
  updateDerivedCdrs,
  type CallRow,
  type CallSelection,
  type Database,
  type RederivedCallEventRow,
  type RederivedCdrRow,
  type StoredCalls,
} from '@callpipe/db';
import {
  factsFromCdr,
  factsFromStatusEvent,
  DEFAULT_BILLING_TIME_ZONE,
  mergeAllCallFacts,
  parsePush,
  type BusinessByAppKey,
  type CallFacts,
  type CdrRecord,
  type StatusEvent,
} from '@callpipe/events';
import type { Kysely, Transaction } from 'kysely';
import { withRetries } from './retry.ts';

/** Which calls to re-derive; all given conditions must hold. */
export type ReprocessFilter = CallSelection;

export interface ReprocessOptions {
  businessByAppKey: BusinessByAppKey;
  /** CALLPIPE_BILLING_TIME_ZONE, for billing_daily (default Asia/Shanghai). */
  billingTimeZone?: string;
  dryRun?: boolean;
  /** Calls per transaction. */
  batchSize?: number;
  onProgress?: (progress: ReprocessResult) => void;
}

export interface ReprocessResult {
  dryRun: boolean;
  callsExamined: number;
  callsChanged: number;
  cdrsExamined: number;
  cdrsChanged: number;
  eventsExamined: number;
  eventsChanged: number;
  /** How many rows changed in each column, e.g. `calls.outcome`: what the new model changed. */
  changedColumns: Record<string, number>;
  /** Calls left as they are because a stored payload no longer passes validation. */
  unreadable: number;
  unreadableExamples: Array<{ sessionId: string; reason: string }>;
  elapsedSeconds: number;
}

const DEFAULT_BATCH_SIZE = 500;
const MAX_EXAMPLES = 20;

/**
 * Re-derives stored calls with the current model, from what is kept raw: every distinct status
 * event's payload (`call_events.payload`) and the call's CDR as received (`cdrs.record`). That is
 * all the merged facts ever depend on (distinct events, and of several CDR versions only the one
 * `cdrs` kept, by the same rule as the facts), so the facts are rebuilt from scratch, not merged
 * into the old ones, and nothing is counted twice. Only derived columns are written: delivery
 * counts, receive times and the raw payloads stay as they are.
 *
 * Each batch locks its calls rows as the worker does (first, in session order) before reading the
 * events and the CDR, so a live delivery either is seen here or merges into the rebuilt facts
 * afterwards. The events and the CDR are read in their calls' `call_day` partitions only.
 *
 * CDRs are rated again with the tariffs as they are now (so `reprocess` re-rates after `tariffs
 * set`), and billing_daily follows every re-derived call in the same transaction.
 */
export async function reprocessCalls(db: Kysely<Database>, filter: ReprocessFilter, options: ReprocessOptions): Promise<ReprocessResult> {
  const started = performance.now();
  const result: ReprocessResult = {
    dryRun: options.dryRun === true,
    callsExamined: 0,
    callsChanged: 0,
    cdrsExamined: 0,
    cdrsChanged: 0,
    eventsExamined: 0,
    eventsChanged: 0,
    changedColumns: {},
    unreadable: 0,
    unreadableExamples: [],
    elapsedSeconds: 0,
  };
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let after: string | null = null;
  for (;;) {
    const sessionIds = await selectCallIds(db, filter, after, batchSize);
    if (sessionIds.length === 0) break;
    after = sessionIds[sessionIds.length - 1]!;
    const transaction = options.dryRun ? db.transaction().setAccessMode('read only') : db.transaction();
    const outcome = await withRetries(() => transaction.execute((trx) => reprocessBatch(trx, sessionIds, options)));
    merge(result, outcome);
    result.elapsedSeconds = (performance.now() - started) / 1000;
    options.onProgress?.(result);
  }
  result.elapsedSeconds = (performance.now() - started) / 1000;
  return result;
}

type BatchOutcome = Omit<ReprocessResult, 'dryRun' | 'elapsedSeconds'>;

async function reprocessBatch(trx: Transaction<Database>, sessionIds: string[], options: ReprocessOptions): Promise<BatchOutcome> {
  // The calls rows are locked first, in the worker's order, so this cannot deadlock with it.
  const { calls, cdrs, events } = await readStoredCalls(trx, sessionIds, { lock: !options.dryRun });
  const tariffs = await loadTariffs(trx);

  const outcome: BatchOutcome = {
    callsExamined: calls.length,
    callsChanged: 0,
    cdrsExamined: cdrs.length,
    cdrsChanged: 0,
    eventsExamined: events.length,
    eventsChanged: 0,
    changedColumns: {},
    unreadable: 0,
    unreadableExamples: [],
  };
  const cdrBySession = new Map(cdrs.map((row) => [row.session_id, row]));
  const eventsBySession = Map.groupBy(events, (row) => row.session_id);
  const changedCalls: CallRow[] = [];
  const changedCdrs: RederivedCdrRow[] = [];
  const changedEvents: RederivedCallEventRow[] = [];
  const count = (table: string, columns: readonly string[]) => {
    for (const column of columns) outcome.changedColumns[`${table}.${column}`] = (outcome.changedColumns[`${table}.${column}`] ?? 0) + 1;
  };

  for (const call of calls) {
    const rebuilt = rebuild(
      call.session_id,
      eventsBySession.get(call.session_id) ?? [],
      cdrBySession.get(call.session_id)?.record,
      options.businessByAppKey,
    );
    if (!rebuilt.ok) {
      outcome.unreadable += 1;
      if (outcome.unreadableExamples.length < MAX_EXAMPLES)
        outcome.unreadableExamples.push({ sessionId: call.session_id, reason: rebuilt.reason });
      continue;
    }
    const derivedCall = callRow(rebuilt.facts);
    const callChanges = changedColumns(call, derivedCall, CALL_COLUMNS);
    if (callChanges.length > 0) {
      changedCalls.push(derivedCall);
      count('calls', callChanges);
    }
    for (const { stored, event } of rebuilt.events) {
      const derived = callEventDerivedRow(event);
      const eventChanges = changedColumns(stored, derived, CALL_EVENT_DERIVED_COLUMNS);
      if (eventChanges.length > 0) {
        changedEvents.push({ ...derived, session_id: stored.session_id, event_key: stored.event_key, call_day: call.call_day });
        count('call_events', eventChanges);
      }
    }
    const storedCdr = cdrBySession.get(call.session_id);
    if (storedCdr && rebuilt.cdr) {
      const derived = cdrDerivedRow(rebuilt.cdr, tariffs);
      const cdrChanges = changedColumns(storedCdr, derived, CDR_DERIVED_COLUMNS);
      if (cdrChanges.length > 0) {
        changedCdrs.push({ ...derived, call_day: call.call_day });
        count('cdrs', cdrChanges);
      }
    }
  }
  outcome.callsChanged = changedCalls.length;
  outcome.cdrsChanged = changedCdrs.length;
  outcome.eventsChanged = changedEvents.length;
  if (options.dryRun) return outcome;
  await updateCallRows(trx, changedCalls);
  await updateDerivedCallEvents(trx, changedEvents);
  await updateDerivedCdrs(trx, changedCdrs);
  await refreshBillingRollup(
    trx,
    new Map(calls.map((call) => [call.session_id, call.call_day])),
    options.billingTimeZone ?? DEFAULT_BILLING_TIME_ZONE,
  );
  return outcome;
}

type StoredEvent = StoredCalls['events'][number];
type Rebuilt =
  | { ok: true; facts: CallFacts; cdr: CdrRecord | null; events: Array<{ stored: StoredEvent; event: StatusEvent }> }
  | { ok: false; reason: string };

/** The call's facts from scratch: each stored payload parsed again as the push it came in. */
function rebuild(sessionId: string, storedEvents: readonly StoredEvent[], record: unknown, businessByAppKey: BusinessByAppKey): Rebuilt {
  const options = { businessByAppKey };
  const facts: CallFacts[] = [];
  const events: Array<{ stored: StoredEvent; event: StatusEvent }> = [];
  for (const stored of storedEvents) {
    const verdict = parsePush(JSON.stringify(stored.payload), options);
    if (!verdict.ok)
      return { ok: false, reason: `a stored status event is now rejected: [${verdict.rejection.code}] ${verdict.rejection.message}` };
    if (verdict.kind !== 'status') return { ok: false, reason: 'a stored status event payload is not a status push' };
    facts.push(factsFromStatusEvent(verdict.event));
    events.push({ stored, event: verdict.event });
  }
  let cdr: CdrRecord | null = null;
  if (record !== undefined) {
    const verdict = parsePush(JSON.stringify({ eventType: 'fee', feeLst: [record] }), options);
    if (!verdict.ok)
      return { ok: false, reason: `the stored CDR is now rejected: [${verdict.rejection.code}] ${verdict.rejection.message}` };
    if (verdict.kind !== 'fee' || verdict.records.length !== 1) return { ok: false, reason: 'the stored CDR is now rejected' };
    cdr = verdict.records[0]!;
    facts.push(factsFromCdr(cdr));
  }
  if (facts.length === 0) return { ok: false, reason: 'no stored status event or CDR to derive the call from' };
  const merged = mergeAllCallFacts(facts);
  return merged.sessionId === sessionId
    ? { ok: true, facts: merged, cdr, events }
    : { ok: false, reason: `the stored data names session ${merged.sessionId}` };
}

function merge(into: ReprocessResult, batch: BatchOutcome): void {
  into.callsExamined += batch.callsExamined;
  into.callsChanged += batch.callsChanged;
  into.cdrsExamined += batch.cdrsExamined;
  into.cdrsChanged += batch.cdrsChanged;
  into.eventsExamined += batch.eventsExamined;
  into.eventsChanged += batch.eventsChanged;
  into.unreadable += batch.unreadable;
  for (const [column, count] of Object.entries(batch.changedColumns))
    into.changedColumns[column] = (into.changedColumns[column] ?? 0) + count;
  into.unreadableExamples.push(...batch.unreadableExamples.slice(0, Math.max(0, MAX_EXAMPLES - into.unreadableExamples.length)));
}
