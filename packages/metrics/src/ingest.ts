import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

export interface SpoolState {
  bytes: number;
  oldestAgeSeconds: number;
}

export function createIngestMetrics(registry: Registry, spool: () => SpoolState) {
  const metrics = {
    spoolBytes: new Gauge({
      name: 'callpipe_ingest_spool_bytes',
      help: 'Bytes of acked pushes waiting in the local disk spool because Redis could not take them.',
      registers: [registry],
      collect() {
        this.set(spool().bytes);
      },
    }),
    spoolOldestAge: new Gauge({
      name: 'callpipe_ingest_spool_oldest_age_seconds',
      help: 'Age of the oldest push in the local disk spool (0 when empty).',
      registers: [registry],
      collect() {
        this.set(spool().oldestAgeSeconds);
      },
    }),
    signatureChecks: new Counter({
      name: 'callpipe_ingest_signature_checks_total',
      help: 'X-AKSK signature checks by mode (log|enforce), result (ok, nonce_unchecked, replayed_nonce, missing_signature, malformed_signature, unknown_app_key, bad_signature, stale_created, future_created) and the digest variant that matched (url_newline|url_concat|nonce_created|none).',
      labelNames: ['mode', 'result', 'variant'] as const,
      registers: [registry],
    }),
    spoolDrained: new Counter({
      name: 'callpipe_ingest_spool_drained_total',
      help: 'Spooled pushes moved into the Redis queue.',
      registers: [registry],
    }),
    spoolQuarantined: new Counter({
      name: 'callpipe_ingest_spool_quarantined_total',
      help: 'Damaged spool records (checksum mismatch, bad length, unparsable) moved to <spool dir>/quarantine/ instead of the queue: acked pushes that need a person.',
      registers: [registry],
    }),
    spoolTornTail: new Counter({
      name: 'callpipe_ingest_spool_torn_tail_total',
      help: 'Spool segments that ended in an incomplete record (a write cut short by a crash, never acked), skipped.',
      registers: [registry],
    }),
    requests: new Counter({
      name: 'callpipe_ingest_requests_total',
      help: 'Push requests by route (events|status|fee), outcome (accepted|rejected|unavailable) and code (ok, spooled, queue_unavailable or a rejection code).',
      labelNames: ['route', 'outcome', 'code'] as const,
      registers: [registry],
    }),
    ackDuration: new Histogram({
      name: 'callpipe_ingest_ack_duration_seconds',
      help: 'Time from request start to the answer, by outcome (accepted|rejected|unavailable).',
      labelNames: ['outcome'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    receivedBytes: new Counter({
      name: 'callpipe_ingest_received_bytes_total',
      help: 'Request body bytes read from push requests.',
      registers: [registry],
    }),
    enqueueBatchSize: new Histogram({
      name: 'callpipe_ingest_enqueue_batch_size',
      help: 'Pushes written to Redis per round trip (concurrent requests are coalesced).',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers: [registry],
    }),
  };
  // Every common label set exists from the start at 0, so rate() and increase() see the first event.
  for (const route of ['events', 'status', 'fee']) {
    metrics.requests.inc({ route, outcome: 'accepted', code: 'ok' }, 0);
    metrics.requests.inc({ route, outcome: 'accepted', code: 'spooled' }, 0);
    metrics.requests.inc({ route, outcome: 'unavailable', code: 'queue_unavailable' }, 0);
  }
  for (const outcome of ['accepted', 'rejected', 'unavailable']) metrics.ackDuration.zero({ outcome });
  return metrics;
}
