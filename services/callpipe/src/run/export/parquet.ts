import { ByteWriter, ParquetWriter, type ColumnSource, type SchemaElement } from 'hyparquet-writer';
import type { ExportColumnKind } from '@callpipe/db';

/** Rows per row group: large enough for analysts' engines to skip well, small enough to hold in memory. */
export const PARQUET_ROW_GROUP_ROWS = 10_000;

function schemaElement(name: string, kind: ExportColumnKind): SchemaElement {
  const optional = { name, repetition_type: 'OPTIONAL' } as const;
  switch (kind) {
    case 'text':
      return { ...optional, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
    case 'json':
      return { ...optional, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } };
    case 'integer':
      return { ...optional, type: 'INT32' };
    case 'boolean':
      return { ...optional, type: 'BOOLEAN' };
    case 'date':
      return { ...optional, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'timestamp':
      return {
        ...optional,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      };
  }
}

function parquetValue(value: unknown, kind: ExportColumnKind): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'json') return JSON.stringify(value);
  if (kind === 'date') return new Date(`${value as string}T00:00:00Z`);
  return value;
}

/**
 * Table rows as one Parquet file, written a row group at a time: each row is turned into its
 * column values as it arrives (the row objects, with their parsed JSON, are not kept), and a full
 * group is encoded (snappy) and handed out as bytes, so memory stays one row group of column
 * values. Timestamps are INT64 milliseconds adjusted to UTC, integers INT32, text UTF8, JSON
 * columns JSON text.
 */
export class ParquetEncoder {
  readonly #columns: ReadonlyArray<readonly [string, ExportColumnKind]>;
  readonly #bytes = new ByteWriter();
  readonly #writer: ParquetWriter;
  #pending: unknown[][];

  constructor(columns: Readonly<Record<string, ExportColumnKind>>, createdBy: string) {
    this.#columns = Object.entries(columns);
    const schema: SchemaElement[] = [
      { name: 'root', num_children: this.#columns.length },
      ...this.#columns.map(([name, kind]) => schemaElement(name, kind)),
    ];
    this.#writer = new ParquetWriter({ writer: this.#bytes, schema, createdBy });
    this.#pending = this.#emptyGroup();
  }

  /** Takes rows; returns the bytes of the row groups they completed (often none). */
  rows(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const row of rows) {
      this.#columns.forEach(([name, kind], index) => this.#pending[index]!.push(parquetValue(row[name], kind)));
      if (this.#pendingRows() === PARQUET_ROW_GROUP_ROWS) {
        this.#writeGroup();
        out.push(this.#take());
      }
    }
    return out;
  }

  /** The last row group and the footer. */
  end(): Uint8Array[] {
    if (this.#pendingRows() > 0) this.#writeGroup();
    if (this.#writer.finish() instanceof Promise) throw new Error('internal error: the parquet writer went asynchronous');
    return [this.#take()];
  }

  /** Every column holds one value per pending row; a table always has columns. */
  #pendingRows(): number {
    return this.#pending[0]!.length;
  }

  #emptyGroup(): unknown[][] {
    return this.#columns.map(() => []);
  }

  #writeGroup(): void {
    const columnData: ColumnSource[] = this.#columns.map(([name], index) => ({ name, data: this.#pending[index]! }));
    const written = this.#writer.write({ columnData, rowGroupSize: this.#pendingRows() });
    if (written instanceof Promise) throw new Error('internal error: the parquet writer went asynchronous');
    this.#pending = this.#emptyGroup();
  }

  /** The bytes written since the last call; the writer's offsets keep counting from the file's start. */
  #take(): Uint8Array {
    const bytes = this.#bytes.getBytes().slice();
    this.#bytes.index = 0;
    return bytes;
  }
}
