import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { PassThrough, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { coerceError } from '@callpipe/runtime';

/** Where the exported bytes go, with backpressure: `write` resolves once the bytes may be buffered. */
export interface Destination {
  write(chunk: string | Uint8Array): Promise<void>;
  /** Flushes everything; a file is moved to its name only now. Returns the bytes written (compressed, if gzip). */
  finish(): Promise<number>;
  /** After a failure: stops, and leaves no file behind. */
  abort(): Promise<void>;
}

export interface DestinationOptions {
  /** A file path, or null for `stdout`. */
  file: string | null;
  gzip: boolean;
  stdout: Writable;
}

/**
 * A file is written as `<file>.partial-<pid>` and renamed when complete, so an export that fails
 * halfway never leaves a file that looks whole; standard output is written through and not ended.
 */
export function openDestination(options: DestinationOptions): Destination {
  const source = new PassThrough({ highWaterMark: 1 << 20 });
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const partial = options.file === null ? null : `${options.file}.partial-${process.pid}`;
  const target = partial === null ? options.stdout : createWriteStream(partial);
  const stages = options.gzip ? [source, createGzip(), counter] : [source, counter];
  const done = pipeline([...stages, target], { end: partial !== null });
  let failure: Error | undefined;
  done.catch((error: unknown) => (failure ??= explained(error, partial === null, () => bytes)));

  const throwFailure = () => {
    if (failure !== undefined) throw failure;
  };

  return {
    async write(chunk) {
      throwFailure();
      if (!source.write(chunk)) {
        // A failure rejects both; its explained form is set once the pipeline has settled.
        await Promise.race([once(source, 'drain'), done]).catch(() => done.catch(() => undefined));
      }
      throwFailure();
    },
    async finish() {
      source.end();
      await done.catch((error: unknown) => {
        throw explained(error, partial === null, () => bytes);
      });
      if (partial !== null) await rename(partial, options.file!);
      else if (options.stdout.writableNeedDrain) await once(options.stdout, 'drain');
      return bytes;
    },
    async abort() {
      source.destroy();
      await done.catch(() => undefined);
      if (partial !== null) await rm(partial, { force: true });
    },
  };
}

/** A reader that stops early (`callpipe export … | head`) closes the pipe: say so, not just "write EPIPE". */
function explained(error: unknown, toStdout: boolean, bytes: () => number): Error {
  if (!toStdout || (error as { code?: unknown } | null)?.code !== 'EPIPE') return coerceError(error);
  return new Error(`standard output was closed by its reader after ${bytes().toLocaleString('en-US')} bytes: the export is incomplete`, {
    cause: error,
  });
}
