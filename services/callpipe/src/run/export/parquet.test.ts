import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { PARQUET_ROW_GROUP_ROWS, ParquetEncoder } from './parquet.ts';

const columns = {
  session_id: 'text',
  call_end_time: 'timestamp',
  billable_minutes: 'integer',
  has_cdr: 'boolean',
  call_day: 'date',
  record: 'json',
} as const;

function fileOf(parts: Uint8Array[]): ArrayBuffer {
  const bytes = Buffer.concat(parts);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
}

describe('ParquetEncoder', () => {
  it('when rows span several row groups, then reading the file back gives the rows, typed', async () => {
    const encoder = new ParquetEncoder(columns, 'test');
    const rows = Array.from({ length: PARQUET_ROW_GROUP_ROWS + 7 }, (_, index) => ({
      session_id: `s-${index}`,
      call_end_time: index % 3 === 0 ? null : new Date(Date.UTC(2026, 10, 30, 16, 0, index % 60)),
      billable_minutes: index % 5,
      has_cdr: index % 2 === 0,
      call_day: '2026-11-30',
      record: { sessionId: `s-${index}`, direction: 0 },
    }));
    const parts = [...encoder.rows(rows.slice(0, 10)), ...encoder.rows(rows.slice(10)), ...encoder.end()];
    const file = fileOf(parts);

    const metadata = parquetMetadata(file);
    expect(metadata.row_groups).toHaveLength(2);
    const timestamp = metadata.schema.find((element) => element.name === 'call_end_time');
    expect(timestamp).toMatchObject({ type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } });
    expect(metadata.schema.find((element) => element.name === 'billable_minutes')).toMatchObject({ type: 'INT32' });

    const read = await parquetReadObjects({ file });
    expect(read).toHaveLength(rows.length);
    expect(read[1]).toEqual({
      session_id: 's-1',
      call_end_time: new Date('2026-11-30T16:00:01.000Z'),
      billable_minutes: 1,
      has_cdr: false,
      call_day: new Date('2026-11-30T00:00:00Z'),
      record: '{"sessionId":"s-1","direction":0}',
    });
    expect(read[0]!['call_end_time']).toBeNull();
    expect(read.map((row: Record<string, unknown>) => row['session_id'] as string)).toEqual(rows.map((row) => row.session_id));
  });

  it('when there are no rows, then the file is still valid parquet with the schema and no rows', async () => {
    const file = fileOf(new ParquetEncoder(columns, 'test').end());
    expect(parquetMetadata(file).schema.map((element) => element.name)).toEqual(['root', ...Object.keys(columns)]);
    expect(await parquetReadObjects({ file })).toEqual([]);
  });
});
