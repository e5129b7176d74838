import {
  countReadmitted,
  markReadmitted,
  rejectedToReadmit,
  storeDeliveriesIn,
  type AcceptedDelivery,
  type Database,
  type ReadmittedMark,
  type RejectedFilter,
  type RejectedRow,
} from '@callpipe/db';
import { DEFAULT_BILLING_TIME_ZONE, type NormalizeOptions } from '@callpipe/events';
import type { PushJobData } from '@callpipe/queue';
import { replayDeliveryId } from '@callpipe/replay';
import type { Kysely } from 'kysely';
import { createNumberHasher, type NumberHasher } from './number-protection.ts';
import { workItemFromJob } from './work-item.ts';

export interface ReadmitOptions {
  businessByAppKey: NormalizeOptions['businessByAppKey'];
  /** CALLPIPE_NUMBER_HASH_KEY, empty when numbers are stored in clear: the same protection as the live worker. */
  numberHashKey: string;
  dryRun: boolean;
  /** CALLPIPE_BILLING_TIME_ZONE, for billing_daily. */
  billingTimeZone?: string;
  /** Rows per transaction. */
  batchSize?: number;
  onProgress?: (progress: { examined: number; accepted: number; stillRejected: number }) => void;
}

export interface ReadmitResult {
  dryRun: boolean;
  /** Rows not readmitted before that matched the filter. */
  examined: number;
  /** Accepted by the current model (and, unless a dry run, stored and marked). */
  accepted: number;
  stillRejected: number;
  /** Rows matching the filter that an earlier run readmitted: skipped. */
  alreadyReadmitted: number;
  /** Per original reason code. */
  byCode: Record<string, { accepted: number; stillRejected: number }>;
  /** The rows still rejected, per the code the current model gives them. */
  stillRejectedByCode: Record<string, number>;
  /**
   * Records of readmitted CDR pushes that the current model still rejects. They are not filed
   * again: each is a row of its own already, under the original delivery.
   */
  recordsStillRejected: number;
  stored: {
    freshDeliveries: number;
    alreadyStoredDeliveries: number;
    callsCreated: number;
    callsUpdated: number;
    eventsInserted: number;
    eventsRedelivered: number;
    cdrsInserted: number;
    cdrsRedelivered: number;
  };
  elapsedSeconds: number;
}

export type ReadmitVerdict =
  { kind: 'accepted'; delivery: AcceptedDelivery; recordsStillRejected: number } | { kind: 'rejected'; code: string; message: string };

/**
 * The delivery a readmitted row becomes. Derived from the row alone, so a second run, or a run
 * racing this one, claims the same `push_deliveries` key (id and original receive time) and
 * stores nothing again.
 */
export function readmitDeliveryId(rejectionKey: string): string {
  return replayDeliveryId('readmit', 0, rejectionKey);
}

/**
 * What the current model makes of a rejected push or record, through the live worker's own path
 * (workItemFromJob: same parsing, same number protection). A record is re-read as a CDR push of
 * its own; a truncated body lacks its end, so no model can accept it.
 */
export function readmitVerdict(row: RejectedRow, options: NormalizeOptions, hashNumber: NumberHasher | null): ReadmitVerdict {
  if (row.bodyTruncated) {
    return { kind: 'rejected', code: 'body_truncated', message: 'only the start of the body was kept' };
  }
  const content: Pick<PushJobData, 'body' | 'bodyEncoding'> =
    row.recordIndex === null
      ? { body: (row.body ?? Buffer.alloc(0)).toString('base64'), bodyEncoding: 'base64' }
      : { body: JSON.stringify({ eventType: 'fee', feeLst: [row.record] }), bodyEncoding: 'utf8' };
  const job: PushJobData = {
    deliveryId: readmitDeliveryId(row.rejectionKey),
    source: `readmit:${row.source}`,
    receivedAt: row.receivedAt.toISOString(),
    contentType: row.contentType,
    ...content,
    rejection: null,
  };
  const item = workItemFromJob(job, options, hashNumber);
  if (item.kind === 'rejected') return { kind: 'rejected', code: item.rejected.reasonCode, message: item.rejected.reasonMessage };
  const { push } = item.delivery;
  if (push.kind === 'status') return { kind: 'accepted', delivery: item.delivery, recordsStillRejected: 0 };
  return {
    kind: 'accepted',
    delivery: { ...item.delivery, push: { ...push, rejectedRecords: [] } },
    recordsStillRejected: push.rejectedRecords.length,
  };
}

/**
 * `callpipe rejected readmit`: rejected pushes and records not readmitted yet go through the current
 * model; those it accepts are stored and their rows marked, in one transaction per batch, so a row
 * is readmitted exactly once even if a run is interrupted. Rows still rejected stay as they are.
 */
export async function readmitRejected(db: Kysely<Database>, filter: RejectedFilter, options: ReadmitOptions): Promise<ReadmitResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 200;
  const normalize: NormalizeOptions = { businessByAppKey: options.businessByAppKey };
  const hashNumber = options.numberHashKey ? createNumberHasher(options.numberHashKey) : null;
  const result: ReadmitResult = {
    dryRun: options.dryRun,
    examined: 0,
    accepted: 0,
    stillRejected: 0,
    alreadyReadmitted: await countReadmitted(db, filter),
    byCode: {},
    stillRejectedByCode: {},
    recordsStillRejected: 0,
    stored: {
      freshDeliveries: 0,
      alreadyStoredDeliveries: 0,
      callsCreated: 0,
      callsUpdated: 0,
      eventsInserted: 0,
      eventsRedelivered: 0,
      cdrsInserted: 0,
      cdrsRedelivered: 0,
    },
    elapsedSeconds: 0,
  };
  let after: RejectedRow | null = null;
  for (;;) {
    const cursor: typeof after = after;
    const rows = await db
      .transaction()
      .setAccessMode(options.dryRun ? 'read only' : 'read write')
      .execute(async (trx) => {
        const batch = await rejectedToReadmit(trx, filter, cursor, batchSize);
        const accepted: AcceptedDelivery[] = [];
        const marks: ReadmittedMark[] = [];
        for (const row of batch) {
          const verdict = readmitVerdict(row, normalize, hashNumber);
          const tally = (result.byCode[row.reasonCode] ??= { accepted: 0, stillRejected: 0 });
          if (verdict.kind === 'accepted') {
            tally.accepted += 1;
            result.accepted += 1;
            result.recordsStillRejected += verdict.recordsStillRejected;
            accepted.push(verdict.delivery);
            marks.push({ id: row.id, receivedAtExact: row.receivedAtExact, deliveryId: verdict.delivery.deliveryId });
          } else {
            tally.stillRejected += 1;
            result.stillRejected += 1;
            result.stillRejectedByCode[verdict.code] = (result.stillRejectedByCode[verdict.code] ?? 0) + 1;
          }
        }
        if (!options.dryRun && accepted.length > 0) {
          const stored = await storeDeliveriesIn(trx, accepted, { billingTimeZone: options.billingTimeZone ?? DEFAULT_BILLING_TIME_ZONE });
          for (const key of Object.keys(result.stored) as (keyof ReadmitResult['stored'])[]) result.stored[key] += stored[key];
          await markReadmitted(trx, marks);
        }
        return batch;
      });
    result.examined += rows.length;
    const last = rows.at(-1);
    if (last === undefined) break;
    after = last;
    options.onProgress?.({ examined: result.examined, accepted: result.accepted, stillRejected: result.stillRejected });
    if (rows.length < batchSize) break;
  }
  result.elapsedSeconds = Math.round(performance.now() - started) / 1000;
  return result;
}
