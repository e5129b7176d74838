import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline as pipelineCallback, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { coerceError, errorCode } from '@callpipe/runtime';

/** One file (or standard input) to replay. */
export interface ReplayInput {
  /** As given on the command line; `-` for standard input. */
  name: string;
  /** The delivery source: `replay:<file base name>`, `replay:stdin` or `replay:pipe`. */
  source: string;
  /** Bytes on disk (compressed, if it is), for progress and ETA; null when unknown. */
  size: number | null;
  open(): Readable;
}

/** A command-line mistake or a file that cannot be opened: nothing was replayed. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** A file that broke while being read: what came before was handled. */
export class InputReadError extends Error {
  override readonly name = 'InputReadError';
}

/** Checks every input before anything is replayed, so a typo in the third file name costs nothing. */
export async function resolveInputs(paths: readonly string[], stdin: Readable): Promise<ReplayInput[]> {
  if (paths.length === 0) throw new InputError('no input: name one or more files, or - for standard input');
  const problems: string[] = [];
  const inputs: ReplayInput[] = [];
  let stdinUsed = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinUsed) problems.push('- (standard input) can be given only once');
      stdinUsed = true;
      inputs.push({ name: '-', source: 'replay:stdin', size: null, open: () => stdin });
      continue;
    }
    try {
      const info = await stat(path);
      if (info.isDirectory()) {
        problems.push(`${path}: a directory, not a file`);
        continue;
      }
      await access(path, constants.R_OK);
      // Pipes (`replay <(zcat dump.gz)`) are fine too, under one fixed source: their /dev/fd/N name
      // may change between runs, and the source is part of every delivery id.
      const regular = info.isFile();
      inputs.push({
        name: path,
        source: regular ? `replay:${basename(path)}` : 'replay:pipe',
        size: regular ? info.size : null,
        open: () => createReadStream(path, { highWaterMark: 256 * 1024 }),
      });
    } catch (error) {
      const code = errorCode(error);
      problems.push(
        `${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : coerceError(error).message}`,
      );
    }
  }
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  return inputs;
}

/**
 * Standard input can be read only once; --strict reads everything twice (check, then write), so it
 * first copies standard input to a temporary file. Returns the inputs to use and a cleanup.
 */
export async function rereadable(inputs: readonly ReplayInput[]): Promise<{ inputs: ReplayInput[]; cleanup: () => Promise<void> }> {
  const stdin = inputs.find((input) => input.name === '-');
  if (!stdin) return { inputs: [...inputs], cleanup: () => Promise.resolve() };
  const directory = await mkdtemp(join(tmpdir(), 'callpipe-replay-'));
  const copy = join(directory, 'stdin');
  try {
    await pipeline(stdin.open(), createWriteStream(copy));
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw new InputError(`could not read standard input: ${coerceError(error).message}`, { cause: error });
  }
  const size = (await stat(copy)).size;
  return {
    inputs: inputs.map((input) =>
      input === stdin ? { ...input, size, open: () => createReadStream(copy, { highWaterMark: 256 * 1024 }) } : input,
    ),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * The file's content as a stream of chunks: gunzipped when it starts with the gzip magic bytes,
 * without a UTF-8 byte order mark, with every raw (on-disk) byte counted for progress. Read and
 * decompression failures become an InputReadError saying what happened.
 */
export async function* contentChunks(raw: Readable, onRawBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  let rawBytes = 0;
  const counted = (async function* () {
    for await (const chunk of raw) {
      const bytes = chunk as Buffer;
      rawBytes += bytes.length;
      onRawBytes(bytes.length);
      yield bytes;
    }
  })();
  try {
    const rawIterator = counted[Symbol.asyncIterator]();
    const head = await readAtLeast(rawIterator, GZIP_MAGIC.length);
    const content = startsWith(head.bytes, GZIP_MAGIC)
      ? gunzipped(head.bytes, rawIterator, head.ended)
      : passThrough(head.bytes, rawIterator, head.ended);
    yield* withoutBom(content);
  } catch (error) {
    if (error instanceof InputReadError) throw error;
    throw new InputReadError(describeReadFailure(error, rawBytes));
  } finally {
    // Destroy first: a pending read of an idle standard input would otherwise never settle.
    raw.destroy();
    await counted.return(undefined).catch(() => undefined);
  }
}

async function* gunzipped(head: Buffer, rest: AsyncIterator<Buffer>, ended: boolean): AsyncGenerator<Buffer> {
  const source = Readable.from(passThrough(head, rest, ended), { objectMode: false });
  const gunzip = createGunzip();
  // Failures surface through the iteration of `gunzip`; the callback only keeps pipeline quiet.
  pipelineCallback(source, gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    gunzip.destroy();
  }
}

async function* passThrough(head: Buffer, rest: AsyncIterator<Buffer>, ended: boolean): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  if (ended) return;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

async function* withoutBom(chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  try {
    const head = await readAtLeast(iterator, UTF8_BOM.length);
    const body = startsWith(head.bytes, UTF8_BOM) ? head.bytes.subarray(UTF8_BOM.length) : head.bytes;
    if (body.length > 0) yield body;
    if (head.ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  } finally {
    await iterator.return?.(undefined);
  }
}

async function readAtLeast(iterator: AsyncIterator<Buffer>, count: number): Promise<{ bytes: Buffer; ended: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < count) {
    const next = await iterator.next();
    if (next.done) return { bytes: Buffer.concat(chunks), ended: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), ended: false };
}

function startsWith(bytes: Buffer, prefix: readonly number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte);
}

function describeReadFailure(error: unknown, rawBytes: number): string {
  const code = errorCode(error);
  const message = coerceError(error).message;
  if (code === 'Z_BUF_ERROR') {
    return `truncated gzip: the compressed data ends early (after ${rawBytes} bytes of the file); the records before that point were handled, the incomplete one at the cut was not`;
  }
  if (code === 'Z_DATA_ERROR' || code === 'Z_NEED_DICT') {
    return `corrupt gzip data (${message}) after ${rawBytes} bytes of the file; the records before that point were handled`;
  }
  return `could not read the file: ${message}`;
}
