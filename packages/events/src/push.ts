import { normalizeCdrRecord, type CdrRecord } from './cdr-record.ts';
import { describe } from './field-checks.ts';
import type { Rejection } from './rejection.ts';
import { normalizeStatusEvent } from './status-event.ts';
import type { NormalizeOptions, StatusEvent } from './types.ts';

export const MAX_FEE_RECORDS = 50;
/** Real pushes nest three levels deep; anything far deeper is an attack on recursive consumers. */
export const MAX_JSON_DEPTH = 16;
const EVENT_TYPE_MAX_LENGTH = 64;

export interface RejectedRecord {
  index: number;
  rejection: Rejection;
  record: unknown;
}

export type PushVerdict =
  | { ok: true; kind: 'status'; event: StatusEvent }
  | { ok: true; kind: 'fee'; records: CdrRecord[]; rejectedRecords: RejectedRecord[] }
  | { ok: false; rejection: Rejection };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes the raw request bytes; the platform sends a UTF-8 byte stream whatever the headers say. */
export function decodeBody(bytes: Uint8Array): { ok: true; text: string } | { ok: false; rejection: Rejection } {
  if (bytes.byteLength === 0) return { ok: false, rejection: { code: 'empty_body', message: 'the request body is empty' } };
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, rejection: { code: 'invalid_utf8', message: 'the request body is not valid UTF-8' } };
  }
}

/**
 * Validates and normalizes one push body. A status push is all-or-nothing. A CDR push keeps its
 * valid records and reports each invalid one: one bad record must not cost the other 49 their
 * billing, and re-pushing the batch would not fix the bad one. The push is refused only when no
 * record is valid.
 */
export function parsePush(text: string, options: NormalizeOptions): PushVerdict {
  if (text.trim().length === 0) return { ok: false, rejection: { code: 'empty_body', message: 'the request body is blank' } };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, rejection: { code: 'invalid_json', message: `the body is not valid JSON: ${detail}` } };
  }
  const problem = inspectJson(body, MAX_JSON_DEPTH);
  if (problem === 'too_deep') {
    return { ok: false, rejection: { code: 'json_too_deep', message: `JSON nesting deeper than ${MAX_JSON_DEPTH} levels` } };
  }
  if (problem === 'unstorable_text') {
    return {
      ok: false,
      rejection: {
        code: 'invalid_characters',
        message: 'a string holds a NUL character or a lone UTF-16 surrogate, which Postgres cannot store',
      },
    };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, rejection: { code: 'not_an_object', message: `the body must be a JSON object, got ${describe(body)}` } };
  }
  const envelope = body as Record<string, unknown>;
  const eventType = envelope['eventType'];
  if (eventType === undefined || eventType === null) {
    return { ok: false, rejection: { code: 'missing_event_type', message: 'eventType is missing' } };
  }
  if (typeof eventType !== 'string' || eventType.length === 0 || eventType.length > EVENT_TYPE_MAX_LENGTH || /[^\w.-]/.test(eventType)) {
    return { ok: false, rejection: { code: 'invalid_event_type', message: `eventType must be a short word, got ${describe(eventType)}` } };
  }
  return eventType === 'fee' ? parseFeePush(envelope, options) : parseStatusPush(eventType, envelope, options);
}

function parseStatusPush(eventType: string, envelope: Record<string, unknown>, options: NormalizeOptions): PushVerdict {
  const statusInfo = envelope['statusInfo'];
  if (statusInfo === undefined || statusInfo === null) {
    return { ok: false, rejection: { code: 'missing_status_info', message: `a ${eventType} push needs statusInfo` } };
  }
  if (typeof statusInfo !== 'object' || Array.isArray(statusInfo)) {
    return { ok: false, rejection: { code: 'missing_status_info', message: `statusInfo must be an object, got ${describe(statusInfo)}` } };
  }
  const result = normalizeStatusEvent(eventType, statusInfo as Record<string, unknown>, options);
  return result.ok ? { ok: true, kind: 'status', event: result.event } : { ok: false, rejection: result.rejection };
}

function parseFeePush(envelope: Record<string, unknown>, options: NormalizeOptions): PushVerdict {
  const feeLst = envelope['feeLst'];
  if (!Array.isArray(feeLst)) {
    return {
      ok: false,
      rejection: { code: 'invalid_fee_list', message: `feeLst must be an array of CDRs, got ${describe(feeLst ?? null)}` },
    };
  }
  if (feeLst.length === 0 || feeLst.length > MAX_FEE_RECORDS) {
    return {
      ok: false,
      rejection: { code: 'fee_list_size', message: `feeLst holds ${feeLst.length} records, expected 1 to ${MAX_FEE_RECORDS}` },
    };
  }
  const records: CdrRecord[] = [];
  const rejectedRecords: RejectedRecord[] = [];
  feeLst.forEach((record: unknown, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      rejectedRecords.push({
        index,
        record,
        rejection: { code: 'invalid_field', message: `feeLst[${index}] must be an object, got ${describe(record)}` },
      });
      return;
    }
    const result = normalizeCdrRecord(record as Record<string, unknown>, index, options);
    if (result.ok) records.push(result.cdr);
    else rejectedRecords.push({ index, record, rejection: result.rejection });
  });
  if (records.length === 0) {
    const first = rejectedRecords[0]!.rejection;
    const more = rejectedRecords.length > 1 ? ` (and ${rejectedRecords.length - 1} more invalid records)` : '';
    return { ok: false, rejection: { code: first.code, message: `${first.message}${more}` } };
  }
  return { ok: true, kind: 'fee', records, rejectedRecords };
}

/**
 * Walks the parsed body once, iteratively (a hostile 100k-deep body cannot overflow the stack):
 * refuses excessive nesting, and text Postgres would refuse later — NUL, or a lone surrogate from
 * a `\\ud800` escape — anywhere, unknown fields and keys included. Refusing it here, with its raw
 * bytes kept, beats acking it and failing in the worker forever.
 */
function inspectJson(value: unknown, maxDepth: number): 'too_deep' | 'unstorable_text' | null {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return 'unstorable_text';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return 'too_deep';
    if (Array.isArray(current)) {
      for (const child of current) stack.push([child, depth + 1]);
    } else {
      for (const [key, child] of Object.entries(current)) {
        if (!isStorableText(key)) return 'unstorable_text';
        stack.push([child, depth + 1]);
      }
    }
  }
  return null;
}

function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}
