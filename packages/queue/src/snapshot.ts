import type { JobType } from 'bullmq';
import { pushesOf, type PushJobData, type PushJobName, type SinglePushName } from './jobs.ts';
import type { PushQueue } from './push-queue.ts';

export interface QueuesSnapshot {
  counts: Record<string, number>;
  oldestWaitingAgeSeconds: number;
  redisUsedMemoryBytes: number | null;
}

/**
 * Counts by state summed over every shard, the age of the oldest waiting job of any shard, and
 * Redis memory, for metrics. The shards share one connection, so memory is read once.
 */
export async function queuesSnapshot(queues: readonly PushQueue[]): Promise<QueuesSnapshot> {
  const first = queues[0];
  if (!first) throw new Error('no queue to take a snapshot of');
  const [perShard, memory] = await Promise.all([
    Promise.all(
      queues.map((queue) =>
        Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
          queue.getJobs(['waiting'], 0, 0, true),
        ]),
      ),
    ),
    first.client.then(usedMemoryBytes),
  ]);
  const counts: Record<string, number> = {};
  let oldestTimestamp: number | null = null;
  for (const [shardCounts, oldest] of perShard) {
    for (const [state, count] of Object.entries(shardCounts)) counts[state] = (counts[state] ?? 0) + count;
    const timestamp = oldest[0]?.timestamp;
    if (timestamp !== undefined && (oldestTimestamp === null || timestamp < oldestTimestamp)) oldestTimestamp = timestamp;
  }
  return {
    counts,
    oldestWaitingAgeSeconds: oldestTimestamp === null ? 0 : Math.max(0, (Date.now() - oldestTimestamp) / 1000),
    redisUsedMemoryBytes: memory,
  };
}

/**
 * `used_memory` of the server; on a Redis Cluster, of the fullest master. Each master has its own
 * maxmemory (noeviction) and the alert compares with one server's limit, so a sum over masters
 * would fire for a cluster none of whose nodes is near its limit. Unreachable nodes are skipped.
 */
async function usedMemoryBytes(client: Awaited<PushQueue['client']>): Promise<number | null> {
  const servers = client.isCluster && client.nodes ? client.nodes() : [client];
  const answers = await Promise.allSettled(servers.map((server) => server.info()));
  const infos = answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
  const failure = answers.find((answer) => answer.status === 'rejected');
  if (infos.length === 0 && failure) throw failure.reason;
  const used = infos
    .filter((info) => !client.isCluster || /^role:master\r?$/m.test(info))
    .flatMap((info) => /^used_memory:(\d+)\r?$/m.exec(info)?.[1] ?? [])
    .map(Number);
  return used.length === 0 ? null : Math.max(...used);
}

export interface QueuedPush {
  /** The job holding the push (a batch job holds several). */
  id: string | undefined;
  jobName: PushJobName;
  name: SinglePushName;
  data: PushJobData;
}

/** The pushes held by jobs in the given states, batches unpacked: for the CLI and for tests. */
export async function queuedPushes(queue: PushQueue, states: JobType[] = ['waiting']): Promise<QueuedPush[]> {
  const jobs = await queue.getJobs(states, 0, -1);
  return jobs.flatMap((job) =>
    pushesOf(job.name, job.data).map((push) => ({ id: job.id, jobName: job.name, name: push.name, data: push.data })),
  );
}
