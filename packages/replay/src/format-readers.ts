import { ItemBuffer, MAX_ITEM_BYTES } from './bytes.ts';
import { CsvReader } from './csv-records.ts';
import { MAX_PUSH_BODY_BYTES, type Format } from './detect-format.ts';
import { fileError, fileWarning, type FormatReader, type ReaderEvent } from './items.ts';
import { JsonArraySplitter } from './json-array-splitter.ts';
import { LineSplitter, type Line } from './line-splitter.ts';

export function createFormatReader(format: Format, detected: boolean): FormatReader {
  switch (format) {
    case 'push':
      return new PushBodyReader();
    case 'json-array':
      return new JsonArrayReader();
    case 'jsonl':
      return new JsonLinesReader();
    case 'csv':
      return new CsvReader(detected);
  }
}

const tooLarge = (what: string) => `${what} is larger than ${MAX_ITEM_BYTES / 1024 / 1024} MiB`;

/** One push body (or one bare record), read whole. */
class PushBodyReader implements FormatReader {
  readonly #buffer = new ItemBuffer(MAX_PUSH_BODY_BYTES);
  #stopped = false;

  get stopped(): boolean {
    return this.#stopped;
  }

  push(chunk: Buffer): ReaderEvent[] {
    this.#buffer.append(chunk);
    if (!this.#buffer.tooLarge) return [];
    this.#stopped = true;
    return [
      fileError(
        `a single push body larger than ${MAX_PUSH_BODY_BYTES / 1024 / 1024} MiB cannot be replayed; write one push or record per line (JSON lines) instead`,
      ),
    ];
  }

  end(): ReaderEvent[] {
    return [{ kind: 'json', position: 1, location: 'push body', bytes: this.#buffer.take() }];
  }
}

class JsonLinesReader implements FormatReader {
  readonly #splitter = new LineSplitter();
  readonly stopped = false;

  push(chunk: Buffer): ReaderEvent[] {
    return this.#splitter.push(chunk).map(lineItem);
  }

  end(): ReaderEvent[] {
    return this.#splitter.end().map(lineItem);
  }
}

function lineItem(line: Line): ReaderEvent {
  const location = `line ${line.line}`;
  return line.tooLarge
    ? { kind: 'invalid', position: line.line, location, code: 'item_too_large', reason: tooLarge('the line') }
    : { kind: 'json', position: line.line, location, bytes: line.bytes };
}

class JsonArrayReader implements FormatReader {
  readonly #splitter = new JsonArraySplitter();

  get stopped(): boolean {
    return this.#splitter.stopped;
  }

  push(chunk: Buffer): ReaderEvent[] {
    return this.#convert(this.#splitter.push(chunk));
  }

  end(): ReaderEvent[] {
    return this.#convert(this.#splitter.end());
  }

  #convert(events: ReturnType<JsonArraySplitter['push']>): ReaderEvent[] {
    return events.map((event): ReaderEvent => {
      switch (event.kind) {
        case 'element':
          return { kind: 'json', position: event.element, location: `element ${event.element}`, bytes: event.bytes };
        case 'tooLarge':
          return {
            kind: 'invalid',
            position: event.element,
            location: `element ${event.element}`,
            code: 'item_too_large',
            reason: tooLarge('the element'),
          };
        case 'fatal':
          return fileError(event.message);
        case 'warning':
          return fileWarning(event.message);
      }
    });
  }
}
