import { sql, type RawBuilder, type SqlBool } from 'kysely';

// `calls` and `billing_contributions` are unique on (callpipe_call_order(session_id), session_id),
// not on session_id (migration 0010): a statement that names only session_id cannot use the index
// and reads the whole table. Every lookup of these rows by session id goes through one of these.

/** The unique key, as `ON CONFLICT (…)` names it. */
export const CALL_KEY = sql.raw('(callpipe_call_order(session_id)), session_id');

/**
 * `JOIN` to the rows whose `column` (a `session_id` of calls or billing_contributions) is one of
 * `ids`, which must be distinct. Not an `IN (SELECT … FROM unnest(…))` semi-join: its
 * de-duplication hides the array's length from the planner (it guesses 200 rows and may hash a
 * whole small table), where the join keeps a batch's statements index probes, one per id.
 */
export function joinCallKeys(column: string, ids: readonly string[]): RawBuilder<unknown> {
  return sql`JOIN unnest(${[...ids]}::text[]) AS wanted(id) ON ${callKeyMatches(column, 'wanted.id')}`;
}

/** The call key of `keyed` (a `session_id` of calls or billing_contributions) is that of `other`. */
export function callKeyMatches(keyed: string, other: string | RawBuilder<unknown>): RawBuilder<SqlBool> {
  const left = sql.ref(keyed);
  const right = typeof other === 'string' ? sql.ref(other) : other;
  return sql<SqlBool>`callpipe_call_order(${left}) = callpipe_call_order(${right}) AND ${left} = ${right}`;
}

/** The call key of `column`, to order by or compare with (`>`) the key of a session id. */
export function callKeyOf(column: string | RawBuilder<unknown>): RawBuilder<unknown> {
  const value = typeof column === 'string' ? sql.ref(column) : column;
  return sql`(callpipe_call_order(${value}), ${value})`;
}
