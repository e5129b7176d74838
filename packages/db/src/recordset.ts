import type { InsertType } from 'kysely';

// Batches travel to Postgres as one JSON parameter unpacked by `jsonb_to_recordset(...) AS
// r(<column> <type>, ...)`: one statement per batch, however many rows. The table interfaces in
// tables/ are the source of the column names; the maps below are checked against them.

/** The Postgres types a recordset column is declared with. */
export type PgType = 'text' | 'integer' | 'numeric' | 'boolean' | 'timestamptz' | 'date' | 'jsonb' | 'uuid' | 'bytea';

/**
 * A Postgres type for each of the given columns of a table: `satisfies ColumnTypes<CallsTable>`
 * fails to compile when a column is renamed, added or dropped in the interface and not here.
 */
export type ColumnTypes<Table, Column extends keyof Table = keyof Table> = { readonly [C in Column]: PgType };

/**
 * A row as it goes into `jsonb_to_recordset`: each column's insert type from the table interface,
 * except jsonb columns, which carry the JSON value itself rather than the text kysely would send,
 * and bytea columns, which carry Postgres's hex text (`\\x…`, see `byteaText`).
 */
export type RecordsetRow<Table, Types extends Partial<Record<keyof Table, PgType>>> = {
  [C in keyof Types & keyof Table]: Types[C] extends 'jsonb' ? unknown : Types[C] extends 'bytea' ? string | null : InsertType<Table[C]>;
};

/** Bytes as the text form a bytea column of a recordset reads. */
export function byteaText(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes).toString('hex')}`;
}

export type ColumnPairs<Column extends string = string> = ReadonlyArray<readonly [Column, PgType]>;

/** The columns of a type map, in its order: the order of the generated column lists. */
export function columnPairs<Types extends Readonly<Record<string, PgType>>>(types: Types): ColumnPairs<keyof Types & string> {
  return Object.entries(types);
}

export function columnList(columns: ColumnPairs): string {
  return columns.map(([column]) => column).join(', ');
}

export function recordsetTypes(columns: ColumnPairs): string {
  return columns.map(([column, type]) => `${column} ${type}`).join(', ');
}

/** `SET` assignments from the recordset `v`, for every column but the key. */
export function updateAssignments(columns: ColumnPairs): string {
  return columns
    .filter(([column]) => column !== 'session_id')
    .map(([column]) => `${column} = v.${column}`)
    .join(', ');
}

/** Rows are written in key order so concurrent batches take their row locks in one order. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
