import { canonicalJson } from '@callpipe/events';
import type { ColumnPairs } from './recordset.ts';

/** Columns whose stored value (timestamps as Date, jsonb parsed) differs from the derived one (ISO strings). */
export function changedColumns<Column extends string>(
  stored: Readonly<Record<Column, unknown>>,
  derived: Readonly<Record<Column, unknown>>,
  columns: ColumnPairs<Column>,
): Column[] {
  return columns.filter(([column]) => !sameValue(stored[column], derived[column])).map(([column]) => column);
}

function sameValue(stored: unknown, derived: unknown): boolean {
  if (stored === null || stored === undefined || derived === null || derived === undefined) return (stored ?? null) === (derived ?? null);
  if (stored instanceof Date) return typeof derived === 'string' && Date.parse(derived) === stored.getTime();
  if (typeof stored === 'object') return canonicalJson(stored) === canonicalJson(derived);
  return stored === derived;
}
