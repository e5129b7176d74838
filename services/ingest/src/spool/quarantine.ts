import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BadRecord } from './segment-format.ts';
import { errorCode } from '@callpipe/runtime';

/** Inside the spool directory; its files never match a segment name, so they are never drained. */
export const QUARANTINE_DIR = 'quarantine';

export interface QuarantinedRecord {
  segment: string;
  offset: number;
  length: number;
  reason: BadRecord['reason'];
  /** Path of the file holding the record, relative to the spool directory. */
  file: string;
}

/**
 * Keeps a damaged record before its segment is deleted: the raw bytes (base64, as they may not be
 * text) with the segment and offset they came from, fsync'd with their directory entry. Returns
 * null when the record was kept by an earlier, interrupted drain of the same segment.
 */
export async function quarantineRecord(spoolDir: string, segment: string, record: BadRecord): Promise<QuarantinedRecord | null> {
  const dir = join(spoolDir, QUARANTINE_DIR);
  if (await mkdir(dir, { recursive: true })) await syncDirectory(spoolDir);
  const file = join(QUARANTINE_DIR, `${segment}@${String(record.offset).padStart(10, '0')}.json`);
  const content = {
    segment,
    offset: record.offset,
    length: record.bytes.length,
    reason: record.reason,
    quarantinedAt: new Date().toISOString(),
    bytesBase64: record.bytes.toString('base64'),
  };
  // Written aside and linked into place, so the name only ever holds a complete, fsync'd file.
  const temporary = join(spoolDir, `${file}.${process.pid}-${randomUUID()}.tmp`);
  const handle = await open(temporary, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, join(spoolDir, file));
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    return null;
  } finally {
    await unlink(temporary);
  }
  await syncDirectory(dir);
  return { segment, offset: record.offset, length: record.bytes.length, reason: record.reason, file };
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  await directory.sync().finally(() => directory.close());
}

export async function quarantinedCount(spoolDir: string): Promise<number> {
  try {
    return (await readdir(join(spoolDir, QUARANTINE_DIR))).filter((name) => name.endsWith('.json')).length;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
}
