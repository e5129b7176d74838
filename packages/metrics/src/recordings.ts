import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const recordingDownloadOutcomes = ['stored', 'retry', 'failed', 'unavailable', 'expired'] as const;
export type RecordingDownloadOutcome = (typeof recordingDownloadOutcomes)[number];

export interface RecordingsSnapshot {
  byStatus: Record<string, number>;
  /** Seconds from now to the deadline of the pending recording that expires first; null when none is pending. */
  soonestPendingExpirySeconds: number | null;
  oldestPendingAgeSeconds: number | null;
}

/** What the margin gauge says when nothing is pending: the whole 7 days a new recording has. */
export const NO_PENDING_MARGIN_SECONDS = 7 * 86_400;

export type RecordingMetrics = ReturnType<typeof createRecordingMetrics>;

/**
 * The recording fetcher's metrics (README, "Recordings"). The table gauges are read from Postgres on
 * scrape, at most once per scrape; every worker reports the same table, so aggregate with max/min.
 */
export function createRecordingMetrics(registry: Registry, snapshot: () => Promise<RecordingsSnapshot>) {
  let pending: Promise<RecordingsSnapshot | null> | null = null;
  const read = () => {
    pending ??= snapshot()
      .catch(() => null)
      .finally(() => setTimeout(() => (pending = null), 250).unref());
    return pending;
  };
  new Gauge({
    name: 'callpipe_recordings',
    help: 'Recordings by status (pending|stored|failed|expired|unavailable), from the recordings table.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const state = await read();
      if (state) for (const [status, count] of Object.entries(state.byStatus)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: 'callpipe_recordings_pending_expiry_margin_seconds',
    help: 'Time left before the platform deletes the pending recording that expires first (604800, the 7 days a new one has, when none is pending); below 86400 one is within a day of being lost.',
    registers: [registry],
    async collect() {
      const state = await read();
      if (state) this.set(state.soonestPendingExpirySeconds ?? NO_PENDING_MARGIN_SECONDS);
    },
  });
  new Gauge({
    name: 'callpipe_recordings_oldest_pending_age_seconds',
    help: "Age of the oldest pending recording, from its CDR's first receipt (0 when none is pending).",
    registers: [registry],
    async collect() {
      const state = await read();
      if (state) this.set(state.oldestPendingAgeSeconds ?? 0);
    },
  });
  return {
    downloads: new Counter({
      name: 'callpipe_recordings_downloads_total',
      help: 'Recording fetch attempts by outcome: stored, retry (will be tried again), failed, unavailable (the platform has none), expired.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    downloadedBytes: new Counter({
      name: 'callpipe_recordings_downloaded_bytes_total',
      help: 'Bytes of recordings stored.',
      registers: [registry],
    }),
    downloadDuration: new Histogram({
      name: 'callpipe_recordings_download_duration_seconds',
      help: 'One recording fetch: download address, download and store.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}
