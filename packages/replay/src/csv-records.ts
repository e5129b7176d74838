import { cdrFieldSpecs, type CdrFieldKind } from '@callpipe/events';
import { CsvParser, type CsvEvent } from './csv-parser.ts';
import { fileError, fileWarning, type FormatReader, type ReaderEvent } from './items.ts';

const FIELD_KINDS: ReadonlyMap<string, CdrFieldKind> = new Map([
  ['sessionId', 'string'],
  ...cdrFieldSpecs.map((spec) => [spec.name, spec.kind] as const),
]);
const CANONICAL_INTEGER = /^-?(0|[1-9]\d{0,14})$/;

export interface CsvHeader {
  names: string[];
  cells: number;
}
type Header = CsvHeader;

export type HeaderCheck = { ok: true; header: Header; warnings: string[] } | { ok: false; message: string };

/** The header row names FeeInfo fields; it must name sessionId, and names must not repeat. */
export function checkHeader(cells: readonly string[], detected: boolean): HeaderCheck {
  const names = cells.map((cell) => cell.trim());
  if (!names.includes('sessionId')) {
    const shown = names.slice(0, 8).join(',').slice(0, 120);
    return {
      ok: false,
      message: detected
        ? `unrecognized format: not JSON (it does not start with '[' or '{') and not CSV with a sessionId column; the first line is "${shown}"`
        : `the CSV header has no sessionId column (header: ${shown})`,
    };
  }
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const name of names) {
    if (name !== '' && seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  if (repeated.size > 0) return { ok: false, message: `the CSV header names ${[...repeated].join(', ')} more than once` };
  const warnings: string[] = [];
  const unknown = names.filter((name) => name !== '' && !FIELD_KINDS.has(name));
  if (unknown.length > 0) warnings.push(`unknown CSV columns, kept as text fields of each record: ${unknown.join(', ')}`);
  const unnamed = names.flatMap((name, index) => (name === '' ? [index + 1] : []));
  if (unnamed.length > 0) warnings.push(`CSV columns without a name are ignored: column ${unnamed.join(', ')}`);
  return { ok: true, header: { names, cells: names.length }, warnings };
}

/**
 * A row as the CDR record the platform would have pushed: empty cells are absent fields, and
 * integer fields become JSON numbers, as in a live push, so a CSV export of a stored CDR has the
 * same content key as the original and replaying it only counts a delivery. A value that is not a
 * plain integer stays text, for the validation to reject with its usual message.
 */
export function recordFromRow(header: Header, cells: readonly string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  header.names.forEach((name, index) => {
    const cell = cells[index];
    if (name === '' || cell === undefined || cell === '') return;
    record[name] = FIELD_KINDS.get(name) === 'integer' && CANONICAL_INTEGER.test(cell) ? Number(cell) : cell;
  });
  return record;
}

export function rowLocation(row: number, line: number): string {
  return line === row ? `row ${row}` : `row ${row} (line ${line})`;
}

/** CSV with a header of FeeInfo field names: each row is one CDR record. */
export class CsvReader implements FormatReader {
  readonly #parser = new CsvParser();
  readonly #detected: boolean;
  #header: Header | null = null;
  #stopped = false;

  constructor(detected: boolean) {
    this.#detected = detected;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  push(chunk: Buffer): ReaderEvent[] {
    return this.#stopped ? [] : this.#accept(this.#parser.push(chunk));
  }

  end(): ReaderEvent[] {
    return this.#stopped ? [] : this.#accept(this.#parser.end());
  }

  #accept(events: CsvEvent[]): ReaderEvent[] {
    const out: ReaderEvent[] = [];
    for (const event of events) {
      if (this.#stopped) break;
      if (this.#header === null) {
        this.#readHeader(event, out);
        continue;
      }
      const location = rowLocation(event.row, event.line);
      if (event.kind === 'cutOff') {
        out.push(
          fileError(`the file ends inside a quoted cell of row ${event.row} (line ${event.line}): that row is cut off and was not read`),
        );
      } else if (event.kind === 'badRow') {
        out.push({ kind: 'invalid', position: event.row, location, code: 'invalid_csv_row', reason: event.reason });
      } else if (event.cells.length !== this.#header.cells) {
        out.push({
          kind: 'invalid',
          position: event.row,
          location,
          code: 'invalid_csv_row',
          reason: `the row has ${event.cells.length} cells, the header has ${this.#header.cells}`,
        });
      } else {
        out.push({ kind: 'record', position: event.row, location, record: recordFromRow(this.#header, event.cells) });
      }
    }
    return out;
  }

  #readHeader(event: CsvEvent, out: ReaderEvent[]): void {
    this.#stopped = true;
    if (event.kind !== 'row') {
      const why = event.kind === 'cutOff' ? 'it ends inside a quoted cell' : event.reason;
      out.push(
        fileError(
          this.#detected
            ? `unrecognized format: not JSON, and the first line is not a CSV header (${why})`
            : `the CSV header row is unreadable: ${why}`,
        ),
      );
      return;
    }
    const check = checkHeader(event.cells, this.#detected);
    if (!check.ok) {
      out.push(fileError(check.message));
      return;
    }
    this.#header = check.header;
    this.#stopped = false;
    for (const warning of check.warnings) out.push(fileWarning(warning));
  }
}
