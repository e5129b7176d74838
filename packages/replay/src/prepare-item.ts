import { acceptedDelivery, type AcceptedDelivery } from '@callpipe/db';
import {
  contentKey,
  decodeBody,
  normalizeCdrRecord,
  parsePush,
  type CdrRecord,
  type DecodedBody,
  type NormalizeOptions,
  type PushVerdict,
  type StatusEvent,
} from '@callpipe/events';
import { coerceError } from '@callpipe/runtime';
import { replayDeliveryId } from './delivery-id.ts';
import type { Item } from './items.ts';

/** One CDR or status event of an item, or the reason it cannot be one. */
export type RecordEntry =
  | { status: 'valid'; location: string; kind: 'cdr'; cdr: CdrRecord }
  | { status: 'valid'; location: string; kind: 'event'; event: StatusEvent }
  | { status: 'invalid'; location: string; code: string; reason: string };

export type ValidEntry = Extract<RecordEntry, { status: 'valid' }>;

/** An item ready to store: its delivery (null when nothing in it is valid) and its records. */
export interface PreparedItem {
  delivery: AcceptedDelivery | null;
  entries: RecordEntry[];
}

export interface PrepareContext {
  source: string;
  receivedAt: string;
  options: NormalizeOptions;
}

/**
 * Validates one item exactly as a live push is validated (`parsePush`): a push body as it is, a
 * bare CDR record wrapped as the one-record fee push the platform would have sent.
 */
export function prepareItem(item: Item, context: PrepareContext): PreparedItem {
  if (item.kind === 'invalid') return invalid(item.location, item.code, item.reason);
  if (item.kind === 'record') return fromRecord(item.record, item, context);
  // Bytes that are not UTF-8 are decoded with replacement, as a live push is: the verdict keeps the
  // original bytes and an anomaly.
  const decoded = decodeBody(item.bytes);
  if (!decoded.ok) return invalid(item.location, decoded.rejection.code, decoded.rejection.message);
  const text = decoded.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalid(item.location, 'invalid_json', `not valid JSON: ${coerceError(error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return invalid(
      item.location,
      'not_an_object',
      `expected a push body (an object with eventType) or a CDR record (an object with sessionId), got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`,
    );
  }
  const object = value as Record<string, unknown>;
  if ('eventType' in object) return fromVerdict(parsePush(decoded, context.options), item, () => contentKey(object), context, object);
  // The record's own text inside the envelope: no second serialization of every record. Lossy
  // bytes stay the original of the wrapped push.
  if ('sessionId' in object) return fromRecord(object, item, context, { ...decoded, text: `{"eventType":"fee","feeLst":[${text}]}` });
  return invalid(item.location, 'not_a_push_or_cdr', 'an object with neither eventType (a push body) nor sessionId (a CDR record)');
}

function fromRecord(
  record: Record<string, unknown>,
  item: Item,
  context: PrepareContext,
  wrapped: string | DecodedBody = JSON.stringify({ eventType: 'fee', feeLst: [record] }),
): PreparedItem {
  const verdict = parsePush(wrapped, context.options);
  // A valid record's content key is its recordKey, already computed by the validation.
  return fromVerdict(
    verdict,
    item,
    () => (verdict.ok && verdict.kind === 'fee' ? verdict.records[0]!.recordKey : contentKey(record)),
    context,
    null,
  );
}

function fromVerdict(
  verdict: PushVerdict,
  item: Item,
  key: () => string,
  context: PrepareContext,
  body: Record<string, unknown> | null,
): PreparedItem {
  const recordLocation = (index: number) => (body === null ? item.location : `${item.location}, record ${index + 1} of the push`);
  if (!verdict.ok) {
    const breakdown = body === null ? null : recordRejections(body, context.options);
    if (breakdown)
      return {
        delivery: null,
        entries: breakdown.map((rejection, index) => ({ status: 'invalid', location: recordLocation(index), ...rejection })),
      };
    // A bare record's messages name it as the fee push's only record; the operator knows no such push.
    const message =
      body === null ? verdict.rejection.message.replace(/^(no record has a session id: )?feeLst\[0\]\.?/, '') : verdict.rejection.message;
    return invalid(item.location, verdict.rejection.code, message);
  }
  // The id derives from the file, the receive time is this run's: a second run of the file brings the
  // same id on another day, so it is checked in replayed_deliveries, which is keyed by the id alone.
  const delivery = acceptedDelivery(
    {
      deliveryId: replayDeliveryId(context.source, item.position, key()),
      source: context.source,
      receivedAt: context.receivedAt,
      receivedAtVaries: true,
    },
    verdict,
  );
  if (verdict.kind === 'status')
    return { delivery, entries: [{ status: 'valid', location: item.location, kind: 'event', event: verdict.event }] };
  const rejected = new Map(verdict.rejectedRecords.map((record) => [record.index, record.rejection]));
  const entries: RecordEntry[] = [];
  let next = 0;
  for (let index = 0; index < verdict.records.length + rejected.size; index += 1) {
    const rejection = rejected.get(index);
    entries.push(
      rejection
        ? { status: 'invalid', location: recordLocation(index), code: rejection.code, reason: rejection.message }
        : { status: 'valid', location: recordLocation(index), kind: 'cdr', cdr: verdict.records[next++]! },
    );
  }
  return { delivery, entries };
}

/**
 * parsePush rejects a fee push whose records are all invalid with the first reason only; the
 * report names every record. Null when the push failed for another reason than its records.
 */
function recordRejections(body: Record<string, unknown>, options: NormalizeOptions): Array<{ code: string; reason: string }> | null {
  const feeLst = body['feeLst'];
  if (body['eventType'] !== 'fee' || !Array.isArray(feeLst) || feeLst.length < 2) return null;
  const rejections: Array<{ code: string; reason: string }> = [];
  for (const [index, record] of (feeLst as unknown[]).entries()) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      rejections.push({ code: 'not_an_object', reason: `feeLst[${index}] must be an object` });
      continue;
    }
    const result = normalizeCdrRecord(record as Record<string, unknown>, index, options);
    if (result.ok) return null;
    rejections.push({ code: result.rejection.code, reason: result.rejection.message });
  }
  return rejections;
}

function invalid(location: string, code: string, reason: string): PreparedItem {
  return { delivery: null, entries: [{ status: 'invalid', location, code, reason }] };
}
