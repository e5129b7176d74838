import { Gauge, type Registry } from 'prom-client';

export interface QueueSnapshot {
  counts: Record<string, number>;
  oldestWaitingAgeSeconds: number;
  redisUsedMemoryBytes: number | null;
}

/** Queue gauges computed on scrape, so an idle exporter costs Redis nothing. */
export function registerQueueMetrics(registry: Registry, snapshot: () => Promise<QueueSnapshot>): void {
  let pending: Promise<QueueSnapshot> | null = null;
  // One Redis round trip per scrape, shared by the three gauges.
  const read = () => {
    pending ??= snapshot().finally(() => setTimeout(() => (pending = null), 250).unref());
    return pending;
  };
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
