import type { Anomaly } from './anomaly.ts';
import type { DecodedBody } from './body.ts';
import { normalizeCdrRecord, type CdrRecord } from './cdr-record.ts';
import { SESSION_ID_MAX_LENGTH } from './cdr-fields.ts';
import { describe, readSessionId } from './field-checks.ts';
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

/** What the ingest needs to answer: whether the push belongs to a call, which kind, and the call it routes by. */
export type PushAttribution = { ok: true; kind: 'status' | 'fee'; routingKey: string } | { ok: false; rejection: Rejection };

/**
 * Validates and normalizes one push body, given as text or as `decodeBody`'s result (which keeps
 * the original bytes of a lossy decoding). Strict about identity, tolerant about the rest: the push
 * is rejected only when it cannot be attributed to a call — no object, no event type, no session
 * id. Every other deviation is accepted and recorded as an anomaly. A CDR push keeps the records it
 * can attribute and reports the others: one record without a session id must not cost the other 49
 * their billing.
 */
export function parsePush(body: string | DecodedBody, options: NormalizeOptions): PushVerdict {
  const read = readEnvelope(body);
  if (!read.ok) return read;
  const { envelope, eventType, anomalies } = read;
  const findings = (): PushFindings => ({ anomalies, originalBodyBase64: anomalies.length > 0 ? originalBase64(body, anomalies) : null });
  if (eventType !== 'fee') {
    const statusInfo = statusInfoOf(eventType, envelope);
    if (!statusInfo.ok) return statusInfo;
    const result = normalizeStatusEvent(eventType, statusInfo.value, options);
    return result.ok ? { ok: true, kind: 'status', event: result.event, ...findings() } : result;
  }
  const feeLst = feeListOf(envelope);
  if (!feeLst.ok) return feeLst;
  if (feeLst.value.length > MAX_FEE_RECORDS) anomalies.push({ field: 'feeLst', code: 'fee_list_over_limit', value: feeLst.value.length });
  const records: CdrRecord[] = [];
  const rejectedRecords: RejectedRecord[] = [];
  feeLst.value.forEach((record: unknown, index) => {
    const object = recordObject(record, index);
    const result = object.ok ? normalizeCdrRecord(object.value, index, options) : object;
    if (result.ok) records.push(result.cdr);
    else rejectedRecords.push({ index, record, rejection: result.rejection });
  });
  if (records.length === 0) return noRecordAttributed(rejectedRecords.map((rejected) => rejected.rejection));
  return { ok: true, kind: 'fee', records, rejectedRecords, ...findings() };
}

/**
 * The same decision as `parsePush`, from the same checks, without normalizing a single field: the
 * ingest's answer on the request path. The worker normalizes later, with the same model.
 */
export function attributePush(body: string | DecodedBody): PushAttribution {
  const read = readEnvelope(body);
  if (!read.ok) return read;
  const { envelope, eventType } = read;
  if (eventType !== 'fee') {
    const statusInfo = statusInfoOf(eventType, envelope);
    if (!statusInfo.ok) return statusInfo;
    const identity = readSessionId(statusInfo.value['sessionId'], SESSION_ID_MAX_LENGTH, 'statusInfo');
    return identity.ok ? { ok: true, kind: 'status', routingKey: identity.sessionId } : identity;
  }
  const feeLst = feeListOf(envelope);
  if (!feeLst.ok) return feeLst;
  const rejections: Rejection[] = [];
  for (const [index, record] of feeLst.value.entries()) {
    const object = recordObject(record, index);
    const identity = object.ok ? readSessionId(object.value['sessionId'], SESSION_ID_MAX_LENGTH, `feeLst[${index}]`) : object;
    if (identity.ok) return { ok: true, kind: 'fee', routingKey: identity.sessionId };
    rejections.push(identity.rejection);
  }
  return noRecordAttributed(rejections);
}

type Checked<T> = { ok: true; value: T } | { ok: false; rejection: Rejection };

/** Everything before identity: JSON, storable text (replaced, recorded), depth, an object with an event type. */
function readEnvelope(
  body: string | DecodedBody,
): { ok: true; envelope: Envelope; eventType: string; anomalies: Anomaly[] } | { ok: false; rejection: Rejection } {
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
  return { ok: true, envelope, eventType, anomalies };
}

function statusInfoOf(eventType: string, envelope: Envelope): Checked<Record<string, unknown>> {
  const statusInfo = envelope['statusInfo'];
  if (statusInfo === undefined || statusInfo === null) {
    return { ok: false, rejection: { code: 'missing_status_info', message: `a ${eventType} push needs statusInfo with a sessionId` } };
  }
  if (typeof statusInfo !== 'object' || Array.isArray(statusInfo)) {
    return { ok: false, rejection: { code: 'missing_status_info', message: `statusInfo must be an object, got ${describe(statusInfo)}` } };
  }
  return { ok: true, value: statusInfo as Record<string, unknown> };
}

function feeListOf(envelope: Envelope): Checked<unknown[]> {
  const feeLst = envelope['feeLst'];
  if (!Array.isArray(feeLst)) {
    return {
      ok: false,
      rejection: { code: 'invalid_fee_list', message: `feeLst must be an array of CDRs, got ${describe(feeLst ?? null)}` },
    };
  }
  if (feeLst.length === 0) return { ok: false, rejection: { code: 'invalid_fee_list', message: 'feeLst is empty: no CDR to attribute' } };
  return { ok: true, value: feeLst };
}

function recordObject(record: unknown, index: number): Checked<Record<string, unknown>> {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    return { ok: false, rejection: { code: 'not_an_object', message: `feeLst[${index}] must be an object, got ${describe(record)}` } };
  }
  return { ok: true, value: record as Record<string, unknown> };
}

function noRecordAttributed(rejections: readonly Rejection[]): { ok: false; rejection: Rejection } {
  const more = rejections.length > 1 ? ` (and ${rejections.length - 1} more records without a session id)` : '';
  return { ok: false, rejection: { code: 'invalid_session_id', message: `no record has a session id: ${rejections[0]!.message}${more}` } };
}

/** The exact bytes, only when the stored text no longer equals them. */
function originalBase64(body: string | DecodedBody, anomalies: readonly Anomaly[]): string | null {
  if (typeof body !== 'string' && body.lossy) return Buffer.from(body.original).toString('base64');
  if (!anomalies.some((anomaly) => anomaly.code === 'unstorable_text_replaced')) return null;
  return Buffer.from(typeof body === 'string' ? body : body.text, 'utf8').toString('base64');
}
