import type { CdrRecord, Tariff } from '@callpipe/events';
import { sql } from 'kysely';
import type { Aggregated } from './aggregate-deliveries.ts';
import { CDR_BOOKKEEPING_TYPES, CDR_DERIVED_COLUMNS, cdrDerivedRow, type CdrDerivedRow } from './cdr-row.ts';
import type { Db } from './database.ts';
import { columnPairs, compareKeys, recordsetTypes, type RecordsetRow } from './recordset.ts';
import type { CdrsTable } from './tables/cdrs.ts';
import { countOutcome, deliveryColumns, redeliveryAssignments, wasInserted, type UpsertOutcome } from './redeliveries.ts';

type CdrRow = CdrDerivedRow & RecordsetRow<CdrsTable, typeof CDR_BOOKKEEPING_TYPES>;

/** Content columns of `cdrs`: everything derived from the record, and the record itself. */
const CONTENT_COLUMNS: Array<keyof CdrsTable> = [
  ...CDR_DERIVED_COLUMNS.map(([column]) => column).filter((column) => column !== 'session_id'),
  'record',
];
const RECORDSET_TYPES = recordsetTypes([...CDR_DERIVED_COLUMNS, ...columnPairs(CDR_BOOKKEEPING_TYPES)]);
const COLUMN_LIST = (
  ['session_id', 'call_day', ...CONTENT_COLUMNS, 'delivery_count', 'first_received_at', 'last_received_at'] satisfies Array<keyof CdrsTable>
).join(', ');

/**
 * The SQL form of `supersedesCdr` (@callpipe/events), the one rule for which version of a call's
 * CDR is kept: more fields set, then the larger content key. `candidate` and `current` name rows
 * with `field_count` and `record_key`. Content keys are hex digests, so the column's collation
 * orders them as JavaScript does (a test checks both forms agree).
 */
export function cdrSupersedesSql(candidate: string, current: string): string {
  return `(${candidate}.field_count, ${candidate}.record_key) > (${current}.field_count, ${current}.record_key)`;
}

// Of two different CDRs for one call the one the rule prefers wins, as in the call facts, so the
// outcome does not depend on which arrived first.
const CONTENT_UPDATE = CONTENT_COLUMNS.map(
  (column) => `${column} = CASE WHEN ${cdrSupersedesSql('excluded', 'cdrs')} THEN excluded.${column} ELSE cdrs.${column} END`,
).join(',\n      ');

export interface CdrsOutcome extends UpsertOutcome {
  /** The sessions whose CDR row this upsert created. */
  insertedSessions: string[];
}

/** One row per call's CDR, in its call's `call_day` partition, rated with `tariffs`; a redelivery adds to the count. */
export async function upsertCdrs(
  trx: Db,
  cdrs: readonly Aggregated<CdrRecord>[],
  callDays: ReadonlyMap<string, string>,
  tariffs: readonly Tariff[],
): Promise<CdrsOutcome> {
  if (cdrs.length === 0) return { inserted: 0, updated: 0, insertedSessions: [] };
  const rows = cdrs
    .map((aggregated): CdrRow => ({
      ...cdrDerivedRow(aggregated.item, tariffs),
      ...deliveryColumns(aggregated, callDays),
      record: aggregated.item.record,
    }))
    .sort((a, b) => compareKeys(a.session_id, b.session_id));
  const outcome = await sql<{ session_id: string; delivery_count: number }>`
    INSERT INTO cdrs (${sql.raw(COLUMN_LIST)})
    SELECT ${sql.raw(COLUMN_LIST)} FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(${sql.raw(RECORDSET_TYPES)})
    ON CONFLICT (session_id, call_day) DO UPDATE SET
      ${sql.raw(CONTENT_UPDATE)},
      ${redeliveryAssignments('cdrs')}
    RETURNING session_id, delivery_count`.execute(trx);
  const counts = new Map(rows.map((row) => [row.session_id, row.delivery_count]));
  const stored = outcome.rows.map((row) => ({ sessionId: row.session_id, stored: row.delivery_count, sent: counts.get(row.session_id)! }));
  return { ...countOutcome(stored), insertedSessions: stored.filter(wasInserted).map((row) => row.sessionId) };
}
