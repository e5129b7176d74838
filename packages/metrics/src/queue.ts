import { Gauge, type Registry } from 'prom-client';

export interface QueueSnapshot {
  counts: Record<string, number>;
  oldestWaitingAgeSeconds: number;
  redisUsedMemoryBytes: number | null;
}

/**
 * Queue gauges computed on scrape, so an idle exporter costs Redis nothing. A scrape never waits
 * more than `timeoutMs` for Redis: while Redis is down the last values are served and
 * `callpipe_queue_scrape_success` drops to 0, so the worker's other metrics stay visible.
 */
export function registerQueueMetrics(registry: Registry, snapshot: () => Promise<QueueSnapshot>, timeoutMs = 1_000): void {
  let pending: Promise<QueueSnapshot> | null = null;
  let last: QueueSnapshot = { counts: {}, oldestWaitingAgeSeconds: 0, redisUsedMemoryBytes: null };
  let succeeded = true;
  // One Redis round trip per scrape, shared by the gauges.
  const read = () => {
    pending ??= Promise.race([
      snapshot(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('queue snapshot timed out')), timeoutMs).unref()),
    ])
      .then(
        (value) => {
          succeeded = true;
          last = value;
          return value;
        },
        () => {
          succeeded = false;
          return last;
        },
      )
      .finally(() => setTimeout(() => (pending = null), 250).unref());
    return pending;
  };
  new Gauge({
    name: 'callpipe_queue_scrape_success',
    help: '1 when the last scrape could read the queue from Redis, 0 when it served stale values.',
    registers: [registry],
    async collect() {
      await read();
      this.set(succeeded ? 1 : 0);
    },
  });
  new Gauge({
    name: 'callpipe_queue_jobs',
    help: 'Jobs in the push queue by state (waiting|active|delayed|prioritized|completed|failed); failed jobs are the dead letters.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const { counts } = await read();
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'callpipe_queue_oldest_waiting_age_seconds',
    help: 'Age of the oldest job waiting to be processed (0 when none wait).',
    registers: [registry],
    async collect() {
      this.set((await read()).oldestWaitingAgeSeconds);
    },
  });
  new Gauge({
    name: 'callpipe_redis_used_memory_bytes',
    help: 'Memory used by the queue Redis (INFO memory).',
    registers: [registry],
    async collect() {
      const { redisUsedMemoryBytes } = await read();
      if (redisUsedMemoryBytes !== null) this.set(redisUsedMemoryBytes);
    },
  });
}
