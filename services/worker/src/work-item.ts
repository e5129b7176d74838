import { decodeBody, parsePush, type NormalizeOptions } from '@callpipe/events';
import { acceptedDelivery, type AcceptedDelivery, type RejectedPush } from '@callpipe/db';
import { rejectionOf, type PushJobData } from '@callpipe/queue';
import { protectNumbersInText, protectPushNumbers, type NumberHasher } from './number-protection.ts';

export type WorkItem = { kind: 'accepted'; delivery: AcceptedDelivery } | { kind: 'rejected'; rejected: RejectedPush };

/**
 * Turns a job back into what gets stored, with the same pure model the ingest used. A push the
 * ingest accepted but this worker rejects (a newer model, a replay) is kept as a worker rejection.
 */
export function workItemFromJob(job: PushJobData, options: NormalizeOptions, hashNumber: NumberHasher | null = null): WorkItem {
  const raw = job.bodyEncoding === 'base64' ? Buffer.from(job.body, 'base64') : Buffer.from(job.body, 'utf8');
  const body = hashNumber ? protectBody(raw, hashNumber) : raw;
  const meta = { deliveryId: job.deliveryId, source: job.source, receivedAt: job.receivedAt };
  const rejection = rejectionOf(job);
  if (rejection) {
    return {
      kind: 'rejected',
      rejected: {
        ...meta,
        stage: 'ingest',
        contentType: job.contentType,
        reasonCode: rejection.code,
        reasonMessage: rejection.message,
        body,
        bodyTruncated: rejection.bodyTruncated,
      },
    };
  }
  const decoded = decodeBody(body);
  const verdict = decoded.ok
    ? parsePush(hashNumber ? { ...decoded, text: protectPushNumbers(decoded.text, hashNumber) } : decoded, options)
    : decoded;
  if (!verdict.ok) {
    return {
      kind: 'rejected',
      rejected: {
        ...meta,
        stage: 'worker',
        contentType: job.contentType,
        reasonCode: verdict.rejection.code,
        reasonMessage: verdict.rejection.message,
        body,
        bodyTruncated: false,
      },
    };
  }
  return { kind: 'accepted', delivery: acceptedDelivery(meta, verdict) };
}

/**
 * Raw bytes kept (rejected bodies, the original of a lossy decoding) get the same protection. Bytes
 * that are not UTF-8 are read as Latin-1, one character per byte: numbers are ASCII, so they are
 * replaced while every other byte stays exactly as it came.
 */
function protectBody(raw: Buffer, hashNumber: NumberHasher): Buffer {
  const decoded = decodeBody(raw);
  if (decoded.ok && !decoded.lossy) return Buffer.from(protectNumbersInText(decoded.text, hashNumber), 'utf8');
  return Buffer.from(protectNumbersInText(raw.toString('latin1'), hashNumber), 'latin1');
}

/**
 * The calls an item writes: the batch writer keeps two transactions from writing one call at once,
 * since the second would wait on the first's row lock until it commits.
 */
export function callsWrittenBy(item: WorkItem): string[] {
  if (item.kind === 'rejected') return [];
  const push = item.delivery.push;
  return push.kind === 'status' ? [push.event.sessionId] : push.records.map((record) => record.sessionId);
}
