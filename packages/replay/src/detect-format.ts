import { isJsonWhitespace, LF } from './bytes.ts';

export const formats = ['push', 'json-array', 'jsonl', 'csv'] as const;
export type Format = (typeof formats)[number];

/** A single push body is read whole; a file this large is not one push. */
export const MAX_PUSH_BODY_BYTES = 64 * 1024 * 1024;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;

/**
 * Decides a file's format from its first bytes, keeping them for the chosen reader: `[` is a JSON
 * array; `{` is JSON lines when the first line is a complete JSON value and more lines follow,
 * otherwise one push body (pretty-printed or not); anything else is CSV. Returns null while more
 * bytes are needed, and 'empty' for a file with nothing but whitespace.
 */
export class FormatSniffer {
  readonly #override: Format | undefined;
  #chunks: Buffer[] = [];
  #length = 0;
  #first = -1;
  #firstByte = 0;
  #newline = -1;

  constructor(override?: Format) {
    this.#override = override;
  }

  /** The bytes seen so far, to be fed to the chosen reader; the sniffer lets go of them. */
  takeBuffered(): Buffer[] {
    return this.#chunks.splice(0);
  }

  push(chunk: Buffer): Format | null {
    const base = this.#length;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    let from = 0;
    if (this.#first < 0) {
      while (from < chunk.length && isJsonWhitespace(chunk[from]!)) from += 1;
      if (from === chunk.length) return null;
      this.#first = base + from;
      this.#firstByte = chunk[from]!;
      if (this.#override) return this.#override;
      if (this.#firstByte === OPEN_BRACKET) return 'json-array';
      if (this.#firstByte !== OPEN_BRACE) return 'csv';
    }
    if (this.#newline < 0) {
      const newline = chunk.indexOf(LF, from);
      if (newline < 0) return this.#length > MAX_PUSH_BODY_BYTES ? 'push' : null;
      this.#newline = base + newline;
      from = newline + 1;
    }
    while (from < chunk.length && isJsonWhitespace(chunk[from]!)) from += 1;
    if (from === chunk.length) return this.#length > MAX_PUSH_BODY_BYTES ? 'push' : null;
    return this.#firstLineIsJson() ? 'jsonl' : 'push';
  }

  end(): Format | 'empty' {
    if (this.#first < 0) return 'empty';
    return this.#override ?? (this.#firstByte === OPEN_BRACKET ? 'json-array' : this.#firstByte === OPEN_BRACE ? 'push' : 'csv');
  }

  #firstLineIsJson(): boolean {
    const line = Buffer.concat(this.#chunks, this.#length).subarray(this.#first, this.#newline);
    try {
      JSON.parse(line.toString('utf8'));
      return true;
    } catch {
      return false;
    }
  }
}
