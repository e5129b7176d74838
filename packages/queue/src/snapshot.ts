import type { PushQueue } from './push-queue.ts';

/** Counts by state, the age of the oldest waiting job and Redis memory, for metrics and the CLI. */
export async function queueSnapshot(queue: PushQueue): Promise<{ counts: Record<string, number>; oldestWaitingAgeSeconds: number; redisUsedMemoryBytes: number | null }> {
  const [counts, oldest, client] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
    queue.getJobs(['waiting'], 0, 0, true),
    queue.client,
  ]);
  const info = await client.info();
  const used = /used_memory:(\d+)/.exec(info)?.[1];
  const oldestJob = oldest[0];
  return {
    counts,
    oldestWaitingAgeSeconds: oldestJob ? Math.max(0, (Date.now() - oldestJob.timestamp) / 1000) : 0,
    redisUsedMemoryBytes: used === undefined ? null : Number(used),
  };
}
