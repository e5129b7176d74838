import { FormatSniffer, type Format } from './detect-format.ts';
import { createFormatReader } from './format-readers.ts';
import { fileError, type ReaderEvent } from './items.ts';

/**
 * Turns a file's (decompressed) bytes into items: detects the format from the first bytes unless
 * one is given, then streams the rest through that format's reader. Memory stays bounded by the
 * largest item, not the file.
 */
export async function* readItems(chunks: AsyncIterable<Buffer>, override?: Format): AsyncGenerator<ReaderEvent> {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    const sniffer = new FormatSniffer(override);
    let format: Format | 'empty' | null = null;
    let ended = false;
    while (format === null) {
      const next = await iterator.next();
      ended = next.done === true;
      format = next.done ? sniffer.end() : sniffer.push(next.value);
    }
    if (format === 'empty') {
      yield fileError('the file is empty (no data, or only whitespace)');
      return;
    }
    yield { kind: 'format', format, detected: override === undefined };
    const reader = createFormatReader(format, override === undefined);
    for (const chunk of sniffer.takeBuffered()) {
      yield* reader.push(chunk);
      if (reader.stopped) return;
    }
    while (!ended) {
      const next = await iterator.next();
      if (next.done) break;
      yield* reader.push(next.value);
      if (reader.stopped) return;
    }
    yield* reader.end();
  } finally {
    await iterator.return?.();
  }
}
