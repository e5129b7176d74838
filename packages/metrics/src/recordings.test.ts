import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from './registry.ts';
import { createRecordingMetrics, type RecordingsSnapshot } from './recordings.ts';

const scrape = async (snapshot: () => Promise<RecordingsSnapshot>) => {
  const registry = createMetricsRegistry('worker');
  createRecordingMetrics(registry, snapshot);
  return registry.metrics();
};

describe('recording metrics', () => {
  it('when recordings are pending, then the counts, the margin to the first deadline and the oldest age are reported', async () => {
    const text = await scrape(async () => ({
      byStatus: { pending: 2, stored: 5, failed: 0, expired: 1, unavailable: 0 },
      soonestPendingExpirySeconds: 3_600,
      oldestPendingAgeSeconds: 601_200,
    }));
    expect(text).toContain('callpipe_recordings{status="pending",service="worker"} 2');
    expect(text).toContain('callpipe_recordings{status="stored",service="worker"} 5');
    expect(text).toContain('callpipe_recordings_pending_expiry_margin_seconds{service="worker"} 3600');
    expect(text).toContain('callpipe_recordings_oldest_pending_age_seconds{service="worker"} 601200');
  });

  it('when nothing is pending, then the margin is the full 7 days and the age 0', async () => {
    const text = await scrape(async () => ({
      byStatus: { pending: 0, stored: 1 },
      soonestPendingExpirySeconds: null,
      oldestPendingAgeSeconds: null,
    }));
    expect(text).toContain('callpipe_recordings_pending_expiry_margin_seconds{service="worker"} 604800');
    expect(text).toContain('callpipe_recordings_oldest_pending_age_seconds{service="worker"} 0');
  });

  it('when the table cannot be read, then the scrape still succeeds', async () => {
    await expect(scrape(() => Promise.reject(new Error('database down')))).resolves.toContain('callpipe_recordings_downloads_total');
  });
});
