import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, LOCK_FILE } from './lock.ts';
import { quarantinedCount } from './quarantine.ts';
import { parseSegment, segmentFormat, type BadRecord, type SegmentFormat } from './segment-format.ts';
import { listSegments } from './spool.ts';
import { errorCode } from '@callpipe/runtime';

export interface SegmentReport {
  name: string;
  format: SegmentFormat;
  bytes: number;
  /** Good records: what a drain would send. */
  records: number;
  /** The earliest `receivedAt` among them, null when there are none. */
  oldestReceivedAt: string | null;
  /** Damaged records a drain would quarantine. */
  badRecords: Array<{ offset: number; length: number; reason: BadRecord['reason'] }>;
  /** An incomplete last record. In the newest segment of a running ingest it can be a write in progress. */
  tornTail: { offset: number; bytes: number } | null;
}

export interface SpoolReport {
  dir: string;
  segments: SegmentReport[];
  records: number;
  bytes: number;
  badRecords: number;
  /** Files in `<dir>/quarantine/`: damaged records kept by earlier drains. */
  quarantined: number;
  /** The process holding the spool, if any; `alive` false means a stale lock the next start takes over. */
  lock: { pid: number; alive: boolean } | null;
}

/**
 * Reads every segment and checks every record without changing anything: no lock is taken and
 * nothing is drained, so it is safe next to a running ingest (for `callpipe spool status|verify`).
 */
export async function inspectSpool(dir: string): Promise<SpoolReport> {
  const segments: SegmentReport[] = [];
  for (const name of await listSegments(dir)) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue; // drained meanwhile
      throw error;
    }
    const parsed = parseSegment(bytes, segmentFormat(name));
    const received = parsed.entries.map((entry) => entry.data.receivedAt).sort();
    segments.push({
      name,
      format: segmentFormat(name),
      bytes: bytes.length,
      records: parsed.entries.length,
      oldestReceivedAt: received[0] ?? null,
      badRecords: parsed.bad.map((bad) => ({ offset: bad.offset, length: bad.bytes.length, reason: bad.reason })),
      tornTail: parsed.tornTail,
    });
  }
  return {
    dir,
    segments,
    records: segments.reduce((sum, segment) => sum + segment.records, 0),
    bytes: segments.reduce((sum, segment) => sum + segment.bytes, 0),
    badRecords: segments.reduce((sum, segment) => sum + segment.badRecords.length, 0),
    quarantined: await quarantinedCount(dir),
    lock: await lockHolder(dir),
  };
}

async function lockHolder(dir: string): Promise<{ pid: number; alive: boolean } | null> {
  const content = await readFile(join(dir, LOCK_FILE), 'utf8').catch(() => null);
  if (content === null) return null;
  const pid = Number(content.trim().split(' ')[0]);
  return { pid, alive: Number.isInteger(pid) && pid > 0 && isAlive(pid) };
}
