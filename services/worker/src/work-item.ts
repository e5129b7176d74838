import { decodeBody, parsePush, type NormalizeOptions } from '@callpipe/events';
import { acceptedDelivery, type AcceptedDelivery, type RefusedPush } from '@callpipe/db';
import type { PushJobData } from '@callpipe/queue';
import { protectNumbersInText, protectPushNumbers, type NumberHasher } from './number-protection.ts';

export type WorkItem = { kind: 'accepted'; delivery: AcceptedDelivery } | { kind: 'refused'; refused: RefusedPush };

/**
 * Turns a job back into what gets stored, with the same pure model the ingest used. A push the
 * ingest accepted but this worker refuses (a newer model, a replay) is kept as a worker refusal.
 */
export function workItemFromJob(job: PushJobData, options: NormalizeOptions, hashNumber: NumberHasher | null = null): WorkItem {
  const raw = job.bodyEncoding === 'base64' ? Buffer.from(job.body, 'base64') : Buffer.from(job.body, 'utf8');
  const body = hashNumber ? protectBody(raw, hashNumber) : raw;
  const meta = { deliveryId: job.deliveryId, source: job.source, receivedAt: job.receivedAt };
  if (job.refusal) {
    return {
      kind: 'refused',
      refused: {
        ...meta,
        stage: 'ingest',
        contentType: job.contentType,
        reasonCode: job.refusal.code,
        reasonMessage: job.refusal.message,
        body,
        bodyTruncated: job.refusal.bodyTruncated,
      },
    };
  }
  const decoded = decodeBody(body);
  const verdict = decoded.ok
    ? parsePush(hashNumber ? { ...decoded, text: protectPushNumbers(decoded.text, hashNumber) } : decoded, options)
    : decoded;
  if (!verdict.ok) {
    return {
      kind: 'refused',
      refused: {
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
 * Raw bytes kept (refused bodies, the original of a lossy decoding) get the same protection. Bytes
 * that are not UTF-8 are read as Latin-1, one character per byte: numbers are ASCII, so they are
 * replaced while every other byte stays exactly as it came.
 */
function protectBody(raw: Buffer, hashNumber: NumberHasher): Buffer {
  const decoded = decodeBody(raw);
  if (decoded.ok && !decoded.lossy) return Buffer.from(protectNumbersInText(decoded.text, hashNumber), 'utf8');
  return Buffer.from(protectNumbersInText(raw.toString('latin1'), hashNumber), 'latin1');
}
