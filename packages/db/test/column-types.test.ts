import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testContext } from '@callpipe/testkit';
import { CALLS_TYPES } from '../src/call-row.ts';
import { CDRS_TYPES } from '../src/cdr-row.ts';
import { PUSH_DELIVERIES_TYPES } from '../src/claim-deliveries.ts';
import type { PgType } from '../src/recordset.ts';
import { CALL_EVENTS_TYPES } from '../src/upsert-call-events.ts';

// The column maps are checked against the table interfaces at compile time; this checks them
// against what the migrations create, so interface, map and schema cannot drift apart.
const DATA_TYPE: Record<PgType, string> = {
  text: 'text',
  integer: 'integer',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamptz: 'timestamp with time zone',
  date: 'date',
  jsonb: 'jsonb',
  uuid: 'uuid',
  bytea: 'bytea',
};

const tables: Record<string, Readonly<Record<string, PgType>>> = {
  calls: CALLS_TYPES,
  cdrs: CDRS_TYPES,
  call_events: CALL_EVENTS_TYPES,
  push_deliveries: PUSH_DELIVERIES_TYPES,
};

describe('column types of the stored tables', () => {
  it('match the migrated schema, column for column', async () => {
    const database = await testContext().createDatabase();
    try {
      for (const [table, types] of Object.entries(tables)) {
        const columns = await sql<{ column_name: string; data_type: string }>`
          SELECT column_name, data_type FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = ${table} ORDER BY column_name COLLATE "C"`.execute(database.db);
        const expected = Object.entries(types)
          .map(([column, type]) => ({ column_name: column, data_type: DATA_TYPE[type] }))
          .sort((a, b) => (a.column_name < b.column_name ? -1 : 1));
        expect(columns.rows, table).toEqual(expected);
      }
    } finally {
      await database.drop();
    }
  });
});
