import { isDeepStrictEqual } from 'node:util';
import { cdrFieldSpecs } from '@callpipe/events';
import { recordFromRow, type CsvHeader } from '@callpipe/replay';
import type { ExportColumnKind } from '@callpipe/db';
import { textOf } from './values.ts';

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One RFC 4180 cell: quoted when it holds a quote, a comma, a line break or edge spaces. */
export function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: readonly string[]): string => `${cells.map(csvCell).join(',')}\r\n`;

/** The header of a CDR CSV: sessionId, every documented FeeInfo field in the spec's order, then the other names the records use. */
export function cdrCsvFieldNames(namesInRecords: readonly string[]): string[] {
  const documented = ['sessionId', ...cdrFieldSpecs.map((spec) => spec.name)];
  const known = new Set(documented);
  return [...documented, ...namesInRecords.filter((name) => !known.has(name)).sort()];
}

/**
 * CDR records as CSV rows of their FeeInfo fields, values as received: text as is, numbers in
 * JSON's spelling, absent fields empty. `exact` says whether replay's CSV reader reads the row back
 * as this very record; it cannot for an empty text, text that looks like an integer in an integer
 * field, or values that are neither text nor integers (those are written as JSON text).
 */
export class CdrCsvEncoder {
  readonly #header: CsvHeader;

  constructor(names: readonly string[]) {
    this.#header = { names: [...names], cells: names.length };
  }

  header(): string {
    return csvLine(this.#header.names);
  }

  row(record: unknown): { line: string; exact: boolean } {
    const fields = typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>) : {};
    const cells = this.#header.names.map((name) => cellOf(fields[name]));
    const exact = fields === record && isDeepStrictEqual(recordFromRow(this.#header, cells), record);
    return { line: csvLine(cells), exact };
  }
}

function cellOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Table rows as CSV: snake_case column names, timestamps as ISO-8601 UTC, JSON columns as JSON text, NULL empty. */
export class TableCsvEncoder {
  readonly #columns: ReadonlyArray<readonly [string, ExportColumnKind]>;

  constructor(columns: Readonly<Record<string, ExportColumnKind>>) {
    this.#columns = Object.entries(columns);
  }

  header(): string {
    return csvLine(this.#columns.map(([name]) => name));
  }

  row(row: Readonly<Record<string, unknown>>): string {
    return csvLine(this.#columns.map(([name, kind]) => textOf(row[name], kind) ?? ''));
  }
}
