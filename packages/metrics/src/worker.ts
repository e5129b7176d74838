import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export const jobOutcomes = ['stored', 'rejected', 'retry', 'split', 'failed', 'stalled'] as const;

export function createWorkerMetrics(registry: Registry) {
  const metrics = {
    jobs: new Counter({
      name: 'callpipe_worker_jobs_total',
      help: 'Pushes processed by outcome (a job carries one push or a batch): stored, rejected (kept in rejected_pushes), retry (will be retried), split (failed inside a batch job, queued again as a job of its own), failed (attempts exhausted, now a dead letter); stalled counts jobs whose worker died.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'callpipe_worker_job_duration_seconds',
      help: 'Time from picking up a job to its batch committing.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    batchPushes: new Histogram({
      name: 'callpipe_worker_batch_pushes',
      help: 'Pushes written per database transaction (a job carries one push or a batch of them).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
    dbWriteDuration: new Histogram({
      name: 'callpipe_worker_db_write_duration_seconds',
      help: 'Duration of one batch transaction.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    cdrRedeliveries: new Counter({
      name: 'callpipe_cdr_redeliveries_total',
      help: 'CDRs received again after they were stored (platform re-pushes, manual re-sends).',
      registers: [registry],
    }),
    eventRedeliveries: new Counter({
      name: 'callpipe_status_event_redeliveries_total',
      help: 'Status events received again after they were stored.',
      registers: [registry],
    }),
    callsWithoutBusiness: new Counter({
      name: 'callpipe_worker_calls_without_business_total',
      help: 'CDRs of serviceType 001 (notify or verify, which look alike) whose app has no CALLPIPE_APP_BUSINESS entry, so their call gets no business; counted per CDR stored.',
      registers: [registry],
    }),
    lateCalls: new Counter({
      name: 'callpipe_worker_late_calls_total',
      help: 'Calls whose stored state had already progressed past the state the facts of a batch alone give, counted once per call per batch.',
      registers: [registry],
    }),
    fieldAnomalies: new Counter({
      name: 'callpipe_worker_field_anomalies_total',
      help: 'Values stored in another form than the canonical one, or left NULL because they did not fit, by kind (status|cdr|push), field (a documented field name, else other) and code (the anomaly codes in packages/events).',
      labelNames: ['kind', 'field', 'code'] as const,
      registers: [registry],
    }),
    rejectedRecords: new Counter({
      name: 'callpipe_worker_rejected_records_total',
      help: 'CDR records rejected inside otherwise valid pushes, by rejection code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    freshness: new Histogram({
      name: 'callpipe_event_freshness_seconds',
      help: 'Event time (status timestamp or CDR callEndTime) to commit, by kind (status|cdr).',
      labelNames: ['kind'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
      registers: [registry],
    }),
    archiveFailures: new Counter({
      name: 'callpipe_archive_failures_total',
      help: 'Expired days whose archive could not be written or verified (each kept, not dropped), counted per maintenance run and day.',
      registers: [registry],
    }),
    archiveLastSuccess: new Gauge({
      name: 'callpipe_archive_last_success_timestamp_seconds',
      help: 'Unix time of the last expired day archived and verified by this worker (0: none since start).',
      registers: [registry],
    }),
    archiveDaysOverdue: new Gauge({
      name: 'callpipe_archive_days_overdue',
      help: 'Expired days the last partition maintenance kept because their archive failed; above 0 means the retention is stuck.',
      registers: [registry],
    }),
    defaultPartitionRows: new Gauge({
      name: 'callpipe_db_default_partition_rows',
      help: "Rows in each partitioned table's DEFAULT partition after the last partition maintenance, by table (call_events|cdrs|push_deliveries|rejected_pushes); above 0 means rows arrived for a day that had no partition yet.",
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    callsMissingCdr: new Gauge({
      name: 'callpipe_calls_missing_cdr',
      help: 'Calls that ended more than the horizon (WORKER_MISSING_CDR_HORIZON, 7h: six hourly re-pushes and a margin) and less than 7 days ago without a CDR, by app_key ((unknown) until the CDR names the app: status events do not carry it); refreshed every minute. Above 0: ask Huawei support to re-send them (callpipe reconcile --format csv).',
      labelNames: ['app_key'] as const,
      registers: [registry],
    }),
    lastCommitted: new Gauge({
      name: 'callpipe_last_committed_timestamp_seconds',
      help: 'Unix time of the last committed batch.',
      registers: [registry],
    }),
  };
  // Every known label set exists from the start at 0, so rate() and increase() see the first event.
  for (const outcome of jobOutcomes) metrics.jobs.inc({ outcome }, 0);
  metrics.freshness.zero({ kind: 'status' });
  metrics.freshness.zero({ kind: 'cdr' });
  return metrics;
}
