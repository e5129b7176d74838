import { decodeBody, parsePush, type NormalizeOptions } from '@callpipe/events';
import { acceptedDelivery, type AcceptedDelivery, type RefusedPush } from '@callpipe/db';
import type { PushJobData } from '@callpipe/queue';

export type WorkItem = { kind: 'accepted'; delivery: AcceptedDelivery } | { kind: 'refused'; refused: RefusedPush };

/**
 * Turns a job back into what gets stored, with the same pure model the ingest used. A push the
 * ingest accepted but this worker refuses (a newer model, a replay) is kept as a worker refusal.
 */
export function workItemFromJob(job: PushJobData, options: NormalizeOptions): WorkItem {
  const body = job.bodyEncoding === 'base64' ? Buffer.from(job.body, 'base64') : Buffer.from(job.body, 'utf8');
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
  const verdict = decoded.ok ? parsePush(decoded.text, options) : decoded;
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
