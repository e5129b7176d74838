import { anomalyFieldLabel, type Anomaly } from '@callpipe/events';
import { storeDeliveriesIn, storeRejectedPushes, type Database, type StoreResult } from '@callpipe/db';
import type { WorkerMetrics } from '@callpipe/metrics';
import type { Kysely } from 'kysely';
import type { WorkItem } from './work-item.ts';

/** Writes one batch of work items in a single transaction and records what happened. */
export function createBatchStore(db: Kysely<Database>, metrics: WorkerMetrics, billingTimeZone: string) {
  return async (items: WorkItem[]): Promise<void> => {
    const started = process.hrtime.bigint();
    const accepted = items.flatMap((item) => (item.kind === 'accepted' ? [item.delivery] : []));
    const rejected = items.flatMap((item) => (item.kind === 'rejected' ? [item.rejected] : []));
    const result: StoreResult = await db.transaction().execute(async (trx) => {
      const stored = await storeDeliveriesIn(trx, accepted, { billingTimeZone });
      await storeRejectedPushes(trx, rejected);
      return stored;
    });
    const now = Date.now();
    metrics.dbWriteDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    metrics.batchPushes.observe(items.length);
    metrics.cdrRedeliveries.inc(result.cdrsRedelivered);
    metrics.eventRedeliveries.inc(result.eventsRedelivered);
    metrics.lateCalls.inc(result.lateCalls);
    metrics.lastCommitted.set(now / 1000);
    for (const delivery of accepted) {
      countAnomalies(metrics, 'push', delivery.anomalies);
      if (delivery.push.kind === 'status') {
        countAnomalies(metrics, 'status', delivery.push.event.anomalies);
        if (delivery.push.event.eventAt)
          metrics.freshness.observe({ kind: 'status' }, Math.max(0, now - Date.parse(delivery.push.event.eventAt)) / 1000);
      } else {
        for (const record of delivery.push.records) {
          countAnomalies(metrics, 'cdr', record.anomalies);
          const end = record.fields.callEndTime ?? record.fields.failTime;
          if (end) metrics.freshness.observe({ kind: 'cdr' }, Math.max(0, now - Date.parse(end)) / 1000);
        }
        for (const rejected of delivery.push.rejectedRecords) metrics.rejectedRecords.inc({ code: rejected.rejection.code });
      }
    }
  };
}

/** Field names are bounded to the documented ones (else `other`), so the label set stays small. */
function countAnomalies(metrics: WorkerMetrics, kind: 'push' | 'status' | 'cdr', anomalies: readonly Anomaly[] | undefined): void {
  for (const anomaly of anomalies ?? []) metrics.fieldAnomalies.inc({ kind, field: anomalyFieldLabel(anomaly.field), code: anomaly.code });
}
