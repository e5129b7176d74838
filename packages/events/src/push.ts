import type { Anomaly } from './anomaly.ts';
import type { DecodedBody } from './body.ts';
import { normalizeCdrRecord, type CdrRecord } from './cdr-record.ts';
import { describe } from './field-checks.ts';
import type { Rejection } from './rejection.ts';
import { normalizeStatusEvent } from './status-event.ts';
import { makeStorable, MAX_JSON_DEPTH } from './storable-json.ts';
import type { NormalizeOptions, StatusEvent } from './types.ts';

export { MAX_JSON_DEPTH } from './storable-json.ts';
/** The documented maximum of records per CDR push; more are accepted, with an anomaly. */
export const MAX_FEE_RECORDS = 50;

export interface RejectedRecord {
  index: number;
  rejection: Rejection;
  record: unknown;
}

/** What every accepted push carries besides its content. */
export interface PushFindings {
  /** Push-level anomalies (lossy decoding, unstorable text replaced, an over-long feeLst); records and events carry their own. */
  anomalies: Anomaly[];
  /**
   * The exact bytes received, base64, when the stored text differs from them (an anomaly
   * `invalid_utf8_replaced` or `unstorable_text_replaced`); null otherwise.
   */
  originalBodyBase64: string | null;
}

export type PushVerdict =
  | ({ ok: true; kind: 'status'; event: StatusEvent } & PushFindings)
  | ({ ok: true; kind: 'fee'; records: CdrRecord[]; rejectedRecords: RejectedRecord[] } & PushFindings)
  | { ok: false; rejection: Rejection };

type Envelope = Record<string, unknown>;

/**
 * Validates and normalizes one push body, given as text or as `decodeBody`'s result (which keeps
 * the original bytes of a lossy decoding). Strict about identity, tolerant about the rest: the push
 * is rejected only when it cannot be attributed to a call — no object, no event type, no session
 * id. Every other deviation is accepted and recorded as an anomaly. A CDR push keeps the records it
 * can attribute and reports the others: one record without a session id must not cost the other 49
 * their billing.
 */
export function parsePush(body: string | DecodedBody, options: NormalizeOptions): PushVerdict {
  const text = typeof body === 'string' ? body : body.text;
  if (text.trim().length === 0) return { ok: false, rejection: { code: 'empty_body', message: 'the request body is blank' } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, rejection: { code: 'invalid_json', message: `the body is not valid JSON: ${detail}` } };
  }
  const anomalies: Anomaly[] = [];
  if (typeof body !== 'string' && body.lossy) anomalies.push({ field: 'body', code: 'invalid_utf8_replaced', value: null });
  if (makeStorable(parsed, anomalies) === 'too_deep') {
    return { ok: false, rejection: { code: 'json_too_deep', message: `JSON nesting deeper than ${MAX_JSON_DEPTH} levels` } };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, rejection: { code: 'not_an_object', message: `the body must be a JSON object, got ${describe(parsed)}` } };
  }
  const envelope = parsed as Envelope;
  const eventType = envelope['eventType'];
  if (eventType === undefined || eventType === null) {
    return { ok: false, rejection: { code: 'missing_event_type', message: 'eventType is missing' } };
  }
  if (typeof eventType !== 'string' || eventType.length === 0) {
    return {
      ok: false,
      rejection: { code: 'invalid_event_type', message: `eventType must be a non-empty string, got ${describe(eventType)}` },
    };
  }
  const findings = (): PushFindings => ({ anomalies, originalBodyBase64: anomalies.length > 0 ? originalBase64(body, anomalies) : null });
  return eventType === 'fee'
    ? parseFeePush(envelope, options, anomalies, findings)
    : parseStatusPush(eventType, envelope, options, findings);
}

function parseStatusPush(eventType: string, envelope: Envelope, options: NormalizeOptions, findings: () => PushFindings): PushVerdict {
  const statusInfo = envelope['statusInfo'];
  if (statusInfo === undefined || statusInfo === null) {
    return { ok: false, rejection: { code: 'missing_status_info', message: `a ${eventType} push needs statusInfo with a sessionId` } };
  }
  if (typeof statusInfo !== 'object' || Array.isArray(statusInfo)) {
    return { ok: false, rejection: { code: 'missing_status_info', message: `statusInfo must be an object, got ${describe(statusInfo)}` } };
  }
  const result = normalizeStatusEvent(eventType, statusInfo as Record<string, unknown>, options);
  return result.ok ? { ok: true, kind: 'status', event: result.event, ...findings() } : result;
}

function parseFeePush(envelope: Envelope, options: NormalizeOptions, anomalies: Anomaly[], findings: () => PushFindings): PushVerdict {
  const feeLst = envelope['feeLst'];
  if (!Array.isArray(feeLst)) {
    return {
      ok: false,
      rejection: { code: 'invalid_fee_list', message: `feeLst must be an array of CDRs, got ${describe(feeLst ?? null)}` },
    };
  }
  if (feeLst.length === 0) return { ok: false, rejection: { code: 'invalid_fee_list', message: 'feeLst is empty: no CDR to attribute' } };
  if (feeLst.length > MAX_FEE_RECORDS) anomalies.push({ field: 'feeLst', code: 'fee_list_over_limit', value: feeLst.length });
  const records: CdrRecord[] = [];
  const rejectedRecords: RejectedRecord[] = [];
  feeLst.forEach((record: unknown, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      rejectedRecords.push({
        index,
        record,
        rejection: { code: 'not_an_object', message: `feeLst[${index}] must be an object, got ${describe(record)}` },
      });
      return;
    }
    const result = normalizeCdrRecord(record as Record<string, unknown>, index, options);
    if (result.ok) records.push(result.cdr);
    else rejectedRecords.push({ index, record, rejection: result.rejection });
  });
  if (records.length === 0) {
    const first = rejectedRecords[0]!.rejection;
    const more = rejectedRecords.length > 1 ? ` (and ${rejectedRecords.length - 1} more records without a session id)` : '';
    return { ok: false, rejection: { code: 'invalid_session_id', message: `no record has a session id: ${first.message}${more}` } };
  }
  return { ok: true, kind: 'fee', records, rejectedRecords, ...findings() };
}

/** The exact bytes, only when the stored text no longer equals them. */
function originalBase64(body: string | DecodedBody, anomalies: readonly Anomaly[]): string | null {
  if (typeof body !== 'string' && body.lossy) return Buffer.from(body.original).toString('base64');
  if (!anomalies.some((anomaly) => anomaly.code === 'unstorable_text_replaced')) return null;
  return Buffer.from(typeof body === 'string' ? body : body.text, 'utf8').toString('base64');
}
