import { createHash } from 'node:crypto';
import { coerceError } from '@callpipe/runtime';
import type { ObjectStore } from '@callpipe/object-store';
import { assertDay, type DayManifest } from './layout.ts';
import { readBack, readManifest } from './read-back.ts';

export interface DayVerification {
  day: string;
  ok: boolean;
  manifest: DayManifest | null;
  /** One sentence per mismatch, naming the file and what differs. */
  problems: string[];
}

/** Reads every file of the day back and compares its length, SHA-256 and row count with the manifest. */
export async function verifyDay(store: ObjectStore, day: string): Promise<DayVerification> {
  assertDay(day);
  let manifest: DayManifest | null;
  try {
    manifest = await readManifest(store, day);
  } catch (error) {
    return { day, ok: false, manifest: null, problems: [coerceError(error).message] };
  }
  if (manifest === null)
    return { day, ok: false, manifest, problems: [`${day} has no manifest: it was never archived, or its archive did not complete`] };
  const problems: string[] = [];
  for (const file of manifest.files) {
    try {
      const found = await readBack(store, file.key);
      if (found.bytes !== file.bytes) problems.push(`${file.key}: ${found.bytes} bytes, the manifest says ${file.bytes}`);
      else if (found.sha256 !== file.sha256) problems.push(`${file.key}: SHA-256 ${found.sha256}, the manifest says ${file.sha256}`);
      if (found.rows !== file.rows) problems.push(`${file.key}: ${found.rows} rows, the manifest says ${file.rows}`);
    } catch (error) {
      // Unreadable (missing, not gzip, cut short): say what differs from the manifest too.
      const raw = await rawDigest(store, file.key).catch(() => null);
      if (raw === null) problems.push(`${file.key}: missing`);
      else {
        if (raw.bytes !== file.bytes) problems.push(`${file.key}: ${raw.bytes} bytes, the manifest says ${file.bytes}`);
        else if (raw.sha256 !== file.sha256) problems.push(`${file.key}: SHA-256 ${raw.sha256}, the manifest says ${file.sha256}`);
        problems.push(`${file.key}: unreadable: ${coerceError(error).message}`);
      }
    }
  }
  return { day, ok: problems.length === 0, manifest, problems };
}

/** The stored bytes' length and SHA-256, for a file that does not decompress. */
async function rawDigest(store: ObjectStore, key: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await store.get(key)) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { bytes, sha256: hash.digest('hex') };
}
