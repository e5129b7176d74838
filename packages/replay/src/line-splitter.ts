import { CR, isBlank, ItemBuffer, LF, MAX_ITEM_BYTES } from './bytes.ts';

export type Line = { line: number; bytes: Buffer; tooLarge: false } | { line: number; tooLarge: true };

/** Splits JSON lines into lines (LF or CRLF), numbered from 1; blank lines are counted but not returned. */
export class LineSplitter {
  readonly #buffer: ItemBuffer;
  #line = 0;

  constructor(maxBytes = MAX_ITEM_BYTES) {
    this.#buffer = new ItemBuffer(maxBytes);
  }

  push(chunk: Buffer): Line[] {
    const lines: Line[] = [];
    let start = 0;
    for (let end = chunk.indexOf(LF, start); end !== -1; end = chunk.indexOf(LF, start)) {
      this.#buffer.append(chunk.subarray(start, end));
      this.#emit(lines);
      start = end + 1;
    }
    if (start < chunk.length) this.#buffer.append(chunk.subarray(start));
    return lines;
  }

  /** The last line, when the input does not end with a line break. */
  end(): Line[] {
    const lines: Line[] = [];
    if (this.#buffer.length > 0 || this.#buffer.tooLarge) this.#emit(lines);
    return lines;
  }

  #emit(into: Line[]): void {
    this.#line += 1;
    if (this.#buffer.tooLarge) {
      this.#buffer.take();
      into.push({ line: this.#line, tooLarge: true });
      return;
    }
    let bytes = this.#buffer.take();
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (!isBlank(bytes)) into.push({ line: this.#line, bytes, tooLarge: false });
  }
}
