import { isUtf8 } from 'node:buffer';
import { COMMA, CR, ItemBuffer, LF, MAX_ITEM_BYTES, QUOTE } from './bytes.ts';

/**
 * `row` counts CSV records from 1 (the header is row 1), blank lines included, as a spreadsheet
 * shows them; `line` is the physical line the row starts on, which differs once a quoted cell
 * holds a line break.
 */
export type CsvEvent =
  | { kind: 'row'; row: number; line: number; cells: string[] }
  | { kind: 'badRow'; row: number; line: number; reason: string }
  /** The input ends inside a quoted cell: the last row is incomplete. */
  | { kind: 'cutOff'; row: number; line: number };

type State = 'cellStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

/** An RFC 4180 reader: quoted cells, `""` escapes, line breaks inside quotes, LF or CRLF rows. */
export class CsvParser {
  readonly #maxRowBytes: number;
  #state: State = 'cellStart';
  #cell: ItemBuffer;
  #cells: Buffer[] = [];
  #cellQuoted = false;
  #rowBytes = 0;
  #problem: string | null = null;
  #row = 0;
  #line = 1;
  #rowLine = 1;
  #skipLf = false;

  constructor(maxRowBytes = MAX_ITEM_BYTES) {
    this.#maxRowBytes = maxRowBytes;
    this.#cell = new ItemBuffer(maxRowBytes);
  }

  push(chunk: Buffer): CsvEvent[] {
    const events: CsvEvent[] = [];
    let segment = this.#state === 'unquoted' || this.#state === 'quoted' ? 0 : -1;
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i]!;
      if (this.#skipLf) {
        this.#skipLf = false;
        if (byte === LF) continue;
      }
      switch (this.#state) {
        case 'cellStart':
          if (byte === QUOTE) {
            this.#state = 'quoted';
            this.#cellQuoted = true;
            segment = i + 1;
          } else if (byte === COMMA) {
            this.#endCell();
          } else if (byte === LF || byte === CR) {
            this.#endCell();
            this.#endRow(events, byte);
          } else {
            this.#state = 'unquoted';
            segment = i;
          }
          break;
        case 'unquoted':
          if (byte === COMMA || byte === LF || byte === CR) {
            this.#addSegment(chunk.subarray(segment, i));
            segment = -1;
            this.#endCell();
            this.#state = 'cellStart';
            if (byte !== COMMA) this.#endRow(events, byte);
          } else if (byte === QUOTE) {
            this.#problem ??= 'a quote inside an unquoted cell (quote the cell and double the quote)';
          }
          break;
        case 'quoted':
          if (byte === QUOTE) {
            this.#addSegment(chunk.subarray(segment, i));
            segment = -1;
            this.#state = 'quoteInQuoted';
          } else if (byte === LF) {
            this.#line += 1;
          }
          break;
        case 'quoteInQuoted':
          if (byte === QUOTE) {
            // `""` inside quotes is one literal quote: the second one starts the next segment.
            segment = i;
            this.#state = 'quoted';
          } else if (byte === COMMA || byte === LF || byte === CR) {
            this.#endCell();
            this.#state = 'cellStart';
            if (byte !== COMMA) this.#endRow(events, byte);
          } else {
            this.#problem ??= 'text after the closing quote of a quoted cell';
            this.#state = 'unquoted';
            segment = i;
          }
          break;
      }
    }
    if (segment >= 0 && (this.#state === 'unquoted' || this.#state === 'quoted')) this.#addSegment(chunk.subarray(segment));
    return events;
  }

  end(): CsvEvent[] {
    const events: CsvEvent[] = [];
    if (this.#state === 'quoted') {
      events.push({ kind: 'cutOff', row: this.#row + 1, line: this.#rowLine });
      return events;
    }
    if (this.#cells.length > 0 || this.#state !== 'cellStart' || this.#cell.length > 0) {
      this.#endCell();
      this.#endRow(events, null);
    }
    return events;
  }

  #addSegment(bytes: Buffer): void {
    this.#rowBytes += bytes.length;
    this.#cell.append(bytes);
  }

  #endCell(): void {
    this.#cells.push(this.#cell.tooLarge ? Buffer.alloc(0) : this.#cell.take());
    if (this.#cell.tooLarge) this.#cell.take();
  }

  #endRow(into: CsvEvent[], terminator: number | null): void {
    this.#row += 1;
    const row = this.#row;
    const line = this.#rowLine;
    const cells = this.#cells;
    const blank = cells.length === 1 && cells[0]!.length === 0 && !this.#cellQuoted;
    if (this.#rowBytes > this.#maxRowBytes) {
      into.push({ kind: 'badRow', row, line, reason: `the row is larger than ${this.#maxRowBytes} bytes` });
    } else if (this.#problem !== null) {
      into.push({ kind: 'badRow', row, line, reason: `malformed CSV: ${this.#problem}` });
    } else if (!cells.every((cell) => isUtf8(cell))) {
      into.push({ kind: 'badRow', row, line, reason: 'the row is not valid UTF-8' });
    } else if (!blank) {
      into.push({ kind: 'row', row, line, cells: cells.map((cell) => cell.toString('utf8')) });
    }
    this.#cells = [];
    this.#cellQuoted = false;
    this.#rowBytes = 0;
    this.#problem = null;
    if (terminator !== null) this.#line += 1;
    if (terminator === CR) this.#skipLf = true;
    this.#rowLine = this.#line;
  }
}
