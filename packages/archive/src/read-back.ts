import { createHash } from 'node:crypto';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ARCHIVED_TABLES } from '@callpipe/db';
import { ObjectNotFoundError, type ObjectStore } from '@callpipe/object-store';
import { ARCHIVE_FORMAT, manifestKey, type DayManifest } from './layout.ts';

export interface ReadBack {
  bytes: number;
  sha256: string;
  /** Lines of the decompressed content. */
  rows: number;
}

const NEWLINE = 0x0a;

/** Reads a stored file as a reader would: its length and SHA-256 as stored, and the NDJSON lines inside the gzip. */
export async function readBack(store: ObjectStore, key: string): Promise<ReadBack> {
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let last = NEWLINE;
  await pipeline(
    await store.get(key),
    new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        bytes += chunk.length;
        hash.update(chunk);
        callback(null, chunk);
      },
    }),
    createGunzip(),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const byte of chunk) if (byte === NEWLINE) rows += 1;
        if (chunk.length > 0) last = chunk[chunk.length - 1]!;
        callback();
      },
    }),
  );
  if (last !== NEWLINE) throw new Error(`${key}: the last line is cut short`);
  return { bytes, sha256: hash.digest('hex'), rows };
}

/** The day's manifest, or null when there is none (the day was never archived, or its archive did not complete). */
export async function readManifest(store: ObjectStore, day: string): Promise<DayManifest | null> {
  let body: string;
  try {
    body = await text(await store.get(manifestKey(day)));
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return null;
    throw error;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(body);
  } catch {
    throw new Error(`${manifestKey(day)} is not JSON`);
  }
  const shaped = manifest as Partial<DayManifest> | null;
  if (shaped?.format !== ARCHIVE_FORMAT) throw new Error(`${manifestKey(day)}: unknown archive format ${JSON.stringify(shaped?.format)}`);
  const tables = new Set<string>(ARCHIVED_TABLES.map((spec) => spec.table));
  if (
    shaped.day !== day ||
    !Array.isArray(shaped.files) ||
    !shaped.files.every(
      (file) =>
        tables.has(file.table) &&
        typeof file.key === 'string' &&
        Number.isInteger(file.rows) &&
        Number.isInteger(file.bytes) &&
        /^[0-9a-f]{64}$/.test(file.sha256),
    )
  )
    throw new Error(`${manifestKey(day)} is damaged: it does not describe the files of ${day}`);
  return shaped as DayManifest;
}
