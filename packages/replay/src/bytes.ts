/**
 * The splitters work on raw bytes, not decoded text: every structural character of JSON and CSV is
 * ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character, so splitting bytes is exact.
 * Each item is then decoded on its own, and one item that is not UTF-8 costs only that item.
 */
export const LF = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const BACKSLASH = 0x5c;

/** Largest single item (a line, an array element, a CSV row); a record is about 1 KB, a push at most 50 records. */
export const MAX_ITEM_BYTES = 16 * 1024 * 1024;

export function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === LF || byte === CR;
}

export function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (!isJsonWhitespace(byte)) return false;
  return true;
}

/** Collects the pieces of one item across chunks, up to a size limit past which it only counts. */
export class ItemBuffer {
  #pieces: Buffer[] = [];
  #length = 0;
  #tooLarge = false;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get tooLarge(): boolean {
    return this.#tooLarge;
  }

  get length(): number {
    return this.#length;
  }

  append(bytes: Buffer): void {
    if (this.#tooLarge || bytes.length === 0) return;
    if (this.#length + bytes.length > this.#maxBytes) {
      this.#tooLarge = true;
      this.#pieces = [];
      return;
    }
    this.#pieces.push(bytes);
    this.#length += bytes.length;
  }

  /** The collected bytes; the buffer is empty afterwards. */
  take(): Buffer {
    const bytes = this.#pieces.length === 1 ? this.#pieces[0]! : Buffer.concat(this.#pieces, this.#length);
    this.#pieces = [];
    this.#length = 0;
    this.#tooLarge = false;
    return bytes;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
