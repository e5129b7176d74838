import { crc32 } from 'node:zlib';
import { currentPush, type LegacyPushName, type SinglePush, type SinglePushName } from '@callpipe/queue';

/**
 * How pushes sit in a spool segment. Current segments (`*.spool`) hold framed records:
 *
 *   RS <payload length> SP <crc32 of the payload, 8 hex digits> LF <payload: one JSON value> LF
 *
 * RS (0x1e) can never occur in the payload — JSON.stringify escapes every control character — so
 * after a damaged record the next RS is the next record's start, and a damaged length cannot
 * swallow its neighbours. Segments written before framing (`*.jsonl`) hold one JSON value per line
 * and are still read, so a spool left by the previous version drains after an upgrade.
 */
export const SEGMENT_NAME = /^(\d{13})-(\d{6})\.(spool|jsonl)$/;
export const SEGMENT_EXTENSION = 'spool';

const RS = 0x1e;
const LF = 0x0a;
/** After the RS: the payload length and its crc32. */
const HEADER = /^(\d{1,10}) ([0-9a-f]{8})$/;

export type SegmentFormat = 'framed' | 'lines';

export interface BadRecord {
  /** Byte offset of the damaged bytes in the segment. */
  offset: number;
  bytes: Buffer;
  reason: 'bad_header' | 'bad_length' | 'checksum_mismatch' | 'unparsable';
}

export interface ParsedSegment {
  entries: SinglePush[];
  /** Damaged records that were complete on disk, so possibly acked: they must be quarantined. */
  bad: BadRecord[];
  /** The incomplete last record of a write cut short by a crash: never fsync'd, so never acked. */
  tornTail: { offset: number; bytes: number } | null;
}

export function encodeRecord(push: SinglePush): Buffer {
  const payload = Buffer.from(JSON.stringify(push));
  const header = `\x1e${payload.length} ${crc32(payload).toString(16).padStart(8, '0')}\n`;
  return Buffer.concat([Buffer.from(header), payload, Buffer.from('\n')]);
}

export function segmentFormat(name: string): SegmentFormat {
  return SEGMENT_NAME.exec(name)?.[3] === 'jsonl' ? 'lines' : 'framed';
}

/** Every entry, damaged record and torn tail of a segment; never throws on content. */
export function parseSegment(bytes: Buffer, format: SegmentFormat): ParsedSegment {
  return format === 'lines' ? parseLines(bytes) : parseFramed(bytes);
}

function parseFramed(bytes: Buffer): ParsedSegment {
  const result: ParsedSegment = { entries: [], bad: [], tornTail: null };
  const bad = (offset: number, end: number, reason: BadRecord['reason']) =>
    result.bad.push({ offset, bytes: bytes.subarray(offset, end), reason });
  let position = 0;
  while (position < bytes.length) {
    const nextStart = bytes.indexOf(RS, position + 1);
    const regionEnd = nextStart === -1 ? bytes.length : nextStart;
    if (bytes[position] !== RS) {
      // Bytes that do not start a record. Zeros at the very end are what some file systems leave
      // after a crash in place of unwritten data.
      if (nextStart === -1 && bytes.subarray(position).every((byte) => byte === 0)) result.tornTail = tail(position, bytes);
      else bad(position, regionEnd, 'bad_header');
      position = regionEnd;
      continue;
    }
    const headerEnd = bytes.indexOf(LF, position);
    if (headerEnd === -1 || headerEnd > regionEnd) {
      if (nextStart === -1) result.tornTail = tail(position, bytes);
      else bad(position, regionEnd, 'bad_header');
      position = regionEnd;
      continue;
    }
    const header = HEADER.exec(bytes.toString('latin1', position + 1, headerEnd));
    if (!header) {
      bad(position, regionEnd, 'bad_header');
      position = regionEnd;
      continue;
    }
    const payloadStart = headerEnd + 1;
    const end = payloadStart + Number(header[1]);
    if (end >= bytes.length && nextStart === -1) {
      // Declared longer than what is on disk, and nothing after it: a write cut short.
      result.tornTail = tail(position, bytes);
      break;
    }
    if (end >= regionEnd || bytes[end] !== LF) {
      bad(position, regionEnd, 'bad_length');
      position = regionEnd;
      continue;
    }
    const payload = bytes.subarray(payloadStart, end);
    if (crc32(payload).toString(16).padStart(8, '0') !== header[2]) bad(position, end + 1, 'checksum_mismatch');
    else {
      const entry = parseEntry(payload.toString('utf8'));
      if (entry) result.entries.push(entry);
      else bad(position, end + 1, 'unparsable');
    }
    position = end + 1;
  }
  return result;
}

function parseLines(bytes: Buffer): ParsedSegment {
  const result: ParsedSegment = { entries: [], bad: [], tornTail: null };
  let position = 0;
  while (position < bytes.length) {
    const newline = bytes.indexOf(LF, position);
    const end = newline === -1 ? bytes.length : newline;
    if (end > position) {
      const entry = parseEntry(bytes.toString('utf8', position, end));
      if (entry) result.entries.push(entry);
      // The old writer ended every line with LF in the same write: a last line without one is a
      // write cut short, anything else that does not parse is damage.
      else if (newline === -1) result.tornTail = tail(position, bytes);
      else result.bad.push({ offset: position, bytes: bytes.subarray(position, end + 1), reason: 'unparsable' });
    }
    position = end + 1;
  }
  return result;
}

function tail(offset: number, bytes: Buffer): { offset: number; bytes: number } {
  return { offset, bytes: bytes.length - offset };
}

function parseEntry(text: string): SinglePush | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { name, data } = value as Partial<Omit<SinglePush, 'name'> & { name: SinglePushName | LegacyPushName }>;
  const known = name === 'status' || name === 'fee' || name === 'rejected' || name === 'refused';
  return known && typeof data?.deliveryId === 'string' && typeof data.body === 'string' ? currentPush(name, data) : null;
}
