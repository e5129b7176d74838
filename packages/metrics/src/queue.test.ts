import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerQueueMetrics, type QueueSnapshot } from './queue.ts';

const snapshot: QueueSnapshot = { counts: { waiting: 3, failed: 1 }, oldestWaitingAgeSeconds: 12, redisUsedMemoryBytes: 1_000 };

describe('queue metrics', () => {
  it('when Redis answers, then the gauges carry the snapshot and the scrape counts as a success', async () => {
    const registry = new Registry();
    registerQueueMetrics(registry, () => Promise.resolve(snapshot));
    const text = await registry.metrics();
    expect(text).toContain('callpipe_queue_jobs{state="waiting"} 3');
    expect(text).toContain('callpipe_queue_oldest_waiting_age_seconds 12');
    expect(text).toContain('callpipe_queue_scrape_success 1');
  });

  it('when Redis never answers, then the scrape still returns within the timeout and reports the failure', async () => {
    const registry = new Registry();
    registerQueueMetrics(registry, () => new Promise<QueueSnapshot>(() => undefined), 100);
    const started = Date.now();
    const text = await registry.metrics();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(text).toContain('callpipe_queue_scrape_success 0');
  });

  it('when the snapshot fails, then the scrape reports the failure instead of throwing', async () => {
    const registry = new Registry();
    registerQueueMetrics(registry, () => Promise.reject(new Error('ECONNREFUSED')));
    expect(await registry.metrics()).toContain('callpipe_queue_scrape_success 0');
  });
});
