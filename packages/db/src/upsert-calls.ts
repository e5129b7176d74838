import { deriveCall, isStateBefore, mergeCallFacts, sameJson, type CallFacts, type CallState } from '@callpipe/events';
import { sql } from 'kysely';
import { CALL_COLUMNS, callRow, type CallRow } from './call-row.ts';
import type { Db } from './database.ts';
import { columnList, compareKeys, recordsetTypes, updateAssignments, type RecordsetRow } from './recordset.ts';
import { CALL_KEY, callKeyMatches, joinCallKeys } from './session-key.ts';
import type { CallsTable } from './tables/calls.ts';

const CALL_RECORDSET_TYPES = recordsetTypes(CALL_COLUMNS);
const CALL_COLUMN_LIST = columnList(CALL_COLUMNS);
const CALL_UPDATE = updateAssignments(CALL_COLUMNS);

type NewCallRow = CallRow & RecordsetRow<CallsTable, { call_day: 'date' }>;

export interface CallsOutcome {
  created: number;
  updated: number;
  /** Calls whose stored state was further along than this batch's facts alone get them. */
  late: number;
  /** Per session, the call's `call_day`: the partition of its events and CDR. */
  callDays: Map<string, string>;
  /** The sessions whose row was created or changed (a redelivery changes none). */
  written: string[];
}

/**
 * Creates or re-derives the `calls` row of every session in the batch. Only calls not seen before
 * are built and inserted (most pushes belong to a call that exists). All inserts come before all
 * row locks, each phase in key order, so writers cannot deadlock.
 */
export async function upsertCalls(
  trx: Db,
  batchFacts: ReadonlyMap<string, CallFacts>,
  firstDays: ReadonlyMap<string, string>,
): Promise<CallsOutcome> {
  const sessionIds = [...batchFacts.keys()].sort(compareKeys);
  const callDays = new Map<string, string>();
  const known = await sql<{
    session_id: string;
  }>`SELECT calls.session_id FROM calls ${joinCallKeys('calls.session_id', sessionIds)}`.execute(trx);
  const knownIds = new Set(known.rows.map((row) => row.session_id));
  const missing = sessionIds.filter((id) => !knownIds.has(id));
  let createdCount = 0;
  if (missing.length > 0) {
    const rows = missing.map((id): NewCallRow => ({ ...callRow(batchFacts.get(id)!), call_day: firstDays.get(id)! }));
    const created = await sql<{ session_id: string; call_day: string }>`
      INSERT INTO calls (${sql.raw(CALL_COLUMN_LIST)}, call_day)
      SELECT ${sql.raw(CALL_COLUMN_LIST)}, call_day FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS r(${sql.raw(CALL_RECORDSET_TYPES)}, call_day date)
      ON CONFLICT (${CALL_KEY}) DO NOTHING
      RETURNING session_id, call_day::text AS call_day`.execute(trx);
    for (const row of created.rows) callDays.set(row.session_id, row.call_day);
    createdCount = created.rows.length;
  }
  const existingIds = sessionIds.filter((id) => !callDays.has(id));
  const written = [...callDays.keys()];
  if (existingIds.length === 0) return { created: createdCount, updated: 0, late: 0, callDays, written };

  // The row lock serializes writers of one call; the merge makes the order in which they get it irrelevant.
  const locked = await sql<{ session_id: string; facts: CallFacts; state: CallState; call_day: string }>`
    SELECT calls.session_id, facts, state, call_day::text AS call_day FROM calls ${joinCallKeys('calls.session_id', existingIds)}
    ORDER BY calls.session_id FOR UPDATE OF calls`.execute(trx);
  const changed: CallRow[] = [];
  let late = 0;
  for (const row of locked.rows) {
    callDays.set(row.session_id, row.call_day);
    const incoming = batchFacts.get(row.session_id)!;
    const merged = mergeCallFacts(row.facts, incoming);
    if (isStateBefore(deriveCall(incoming).state, row.state)) late += 1;
    if (!sameJson(merged, row.facts)) changed.push(callRow(merged));
  }
  await updateCallRows(trx, changed);
  for (const row of changed) written.push(row.session_id);
  return { created: createdCount, updated: changed.length, late, callDays, written };
}

/** Writes re-derived `calls` rows over the stored ones, in one statement; the caller holds their row locks. */
export async function updateCallRows(trx: Db, rows: readonly CallRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    UPDATE calls SET ${sql.raw(CALL_UPDATE)}, updated_at = now()
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(${sql.raw(CALL_RECORDSET_TYPES)})
    WHERE ${callKeyMatches('calls.session_id', 'v.session_id')}`.execute(trx);
}
