import { BACKSLASH, COMMA, isJsonWhitespace, ItemBuffer, MAX_ITEM_BYTES, QUOTE } from './bytes.ts';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export type ArrayEvent =
  | { kind: 'element'; element: number; bytes: Buffer }
  | { kind: 'tooLarge'; element: number }
  /** The array's structure is broken; nothing after it is read. */
  | { kind: 'fatal'; message: string }
  | { kind: 'warning'; message: string };

type State = 'start' | 'beforeElement' | 'element' | 'after' | 'stopped';

/**
 * Cuts a JSON array into its top-level elements as the bytes stream in, so a huge array never has
 * to be in memory at once. It only tracks strings, escapes and bracket depth; each element is then
 * parsed (and so validated) on its own, and a broken element costs only itself: the scan resumes
 * at the next top-level comma. Elements are numbered from 1.
 */
export class JsonArraySplitter {
  readonly #buffer: ItemBuffer;
  #state: State = 'start';
  #depth = 0;
  #inString = false;
  #escaped = false;
  #elements = 0;
  #afterComma = false;
  #offset = 0;

  constructor(maxBytes = MAX_ITEM_BYTES) {
    this.#buffer = new ItemBuffer(maxBytes);
  }

  get stopped(): boolean {
    return this.#state === 'stopped';
  }

  push(chunk: Buffer): ArrayEvent[] {
    const events: ArrayEvent[] = [];
    let elementStart = this.#state === 'element' ? 0 : -1;
    for (let i = 0; i < chunk.length; i += 1) {
      const byte = chunk[i]!;
      switch (this.#state) {
        case 'start':
          if (isJsonWhitespace(byte)) break;
          if (byte === OPEN_BRACKET) {
            this.#state = 'beforeElement';
            break;
          }
          events.push(this.#stop(`not a JSON array: expected '[' but found ${describeByte(byte)} at byte ${this.#offset + i}`));
          return events;
        case 'beforeElement':
          if (isJsonWhitespace(byte)) break;
          if (byte === CLOSE_BRACKET) {
            if (this.#afterComma)
              events.push({ kind: 'warning', message: `a comma after element ${this.#elements} is followed by the closing ']'` });
            this.#state = 'after';
            break;
          }
          this.#state = 'element';
          this.#depth = 0;
          this.#inString = false;
          this.#escaped = false;
          elementStart = i;
          i -= 1; // the element's first byte is scanned in the element state
          break;
        case 'element':
          if (this.#inString) {
            if (this.#escaped) this.#escaped = false;
            else if (byte === BACKSLASH) this.#escaped = true;
            else if (byte === QUOTE) this.#inString = false;
          } else if (byte === QUOTE) {
            this.#inString = true;
          } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
            this.#depth += 1;
          } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
            if (this.#depth > 0) this.#depth -= 1;
            else if (byte === CLOSE_BRACKET) {
              this.#buffer.append(chunk.subarray(elementStart, i));
              events.push(this.#finishElement());
              elementStart = -1;
              this.#state = 'after';
            }
          } else if (byte === COMMA && this.#depth === 0) {
            this.#buffer.append(chunk.subarray(elementStart, i));
            events.push(this.#finishElement());
            elementStart = -1;
            this.#afterComma = true;
            this.#state = 'beforeElement';
          }
          break;
        case 'after':
          if (isJsonWhitespace(byte)) break;
          events.push(
            this.#stop(
              `unexpected ${describeByte(byte)} at byte ${this.#offset + i} after the array's closing ']'; the rest of the file was not read`,
            ),
          );
          return events;
        case 'stopped':
          return events;
      }
    }
    if (this.#state === 'element' && elementStart >= 0) this.#buffer.append(chunk.subarray(elementStart));
    this.#offset += chunk.length;
    return events;
  }

  end(): ArrayEvent[] {
    switch (this.#state) {
      case 'start':
        return [this.#stop("not a JSON array: no '[' found")];
      case 'beforeElement':
        return [this.#stop(`truncated JSON array: the file ends after element ${this.#elements} without the closing ']'`)];
      case 'element': {
        // An element that is complete up to the cut (e.g. a whole object) is still worth handling.
        if (this.#depth === 0 && !this.#inString && !this.#buffer.tooLarge) {
          const element = this.#finishElement();
          return [element, this.#stop(`truncated JSON array: the file ends after element ${this.#elements} without the closing ']'`)];
        }
        this.#buffer.take();
        return [
          this.#stop(`truncated JSON array: element ${this.#elements + 1} is cut off (the file ends inside it, without the closing ']')`),
        ];
      }
      case 'after':
      case 'stopped':
        return [];
    }
  }

  #finishElement(): ArrayEvent {
    this.#elements += 1;
    this.#afterComma = false;
    if (this.#buffer.tooLarge) {
      this.#buffer.take();
      return { kind: 'tooLarge', element: this.#elements };
    }
    return { kind: 'element', element: this.#elements, bytes: this.#buffer.take() };
  }

  #stop(message: string): ArrayEvent {
    this.#state = 'stopped';
    return { kind: 'fatal', message };
  }
}

export function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
