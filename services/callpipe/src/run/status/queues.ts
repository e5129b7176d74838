import { plural, result, seconds, type StatusCheck } from './check.ts';

/** CallpipeQueueBacklogOld fires at 300 s; a minute is worth a look already. */
const WARN_AGE_SECONDS = 60;
const ACTION_AGE_SECONDS = 300;

/** Depth and oldest waiting push per shard: a growing age means the workers do not keep up, or none runs. */
export const queuesCheck: StatusCheck = {
  name: 'queues',
  needs: ['redis'],
  async run({ redis, now }) {
    const { queues } = await redis();
    const shards = await Promise.all(
      queues.map(async (queue, shard) => {
        const [counts, [oldest]] = await Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed'),
          queue.getJobs(['waiting'], 0, 0, true),
        ]);
        const oldestWaitingAgeSeconds = oldest ? Math.max(0, (now.getTime() - oldest.timestamp) / 1000) : 0;
        const count = (state: string) => counts[state] ?? 0;
        return {
          shard,
          prefix: queue.opts.prefix,
          waiting: count('waiting') + count('prioritized'),
          active: count('active'),
          delayed: count('delayed'),
          failed: count('failed'),
          oldestWaitingAgeSeconds,
        };
      }),
    );
    const waiting = shards.reduce((sum, shard) => sum + shard.waiting, 0);
    const oldest = Math.max(0, ...shards.map((shard) => shard.oldestWaitingAgeSeconds));
    const data = { shards, waiting, oldestWaitingAgeSeconds: oldest };
    const perShard =
      shards.length > 1
        ? ` (${shards.map((shard) => `shard ${shard.shard}: ${shard.waiting} waiting, ${seconds(shard.oldestWaitingAgeSeconds)}`).join('; ')})`
        : '';
    const detail = `${plural(waiting, 'push job')} waiting over ${plural(shards.length, 'shard')}, oldest ${seconds(oldest)}${perShard}`;
    if (oldest >= ACTION_AGE_SECONDS) return result('action', `${detail}: the workers are not keeping up, or none is running`, data);
    if (oldest >= WARN_AGE_SECONDS) return result('warn', `${detail}: a backlog is building`, data);
    return result('ok', detail, data);
  },
};
