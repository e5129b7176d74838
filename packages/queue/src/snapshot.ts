import type { JobType } from 'bullmq';
import { pushesOf, type PushJobData, type PushJobName, type SinglePushName } from './jobs.ts';
import type { PushQueue } from './push-queue.ts';

/** Counts by state, the age of the oldest waiting job and Redis memory, for metrics and the CLI. */
export async function queueSnapshot(queue: PushQueue): Promise<{ counts: Record<string, number>; oldestWaitingAgeSeconds: number; redisUsedMemoryBytes: number | null }> {
  const [counts, oldest, client] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'),
    queue.getJobs(['waiting'], 0, 0, true),
    queue.client,
  ]);
  const oldestJob = oldest[0];
  return {
    counts,
    oldestWaitingAgeSeconds: oldestJob ? Math.max(0, (Date.now() - oldestJob.timestamp) / 1000) : 0,
    redisUsedMemoryBytes: await usedMemoryBytes(client),
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

/** The same over every shard: counts summed, the oldest waiting job of any shard. */
export async function queuesSnapshot(queues: readonly PushQueue[]): Promise<Awaited<ReturnType<typeof queueSnapshot>>> {
  const snapshots = await Promise.all(queues.map((queue) => queueSnapshot(queue)));
  const counts: Record<string, number> = {};
  for (const snapshot of snapshots) for (const [state, count] of Object.entries(snapshot.counts)) counts[state] = (counts[state] ?? 0) + count;
  return {
    counts,
    oldestWaitingAgeSeconds: Math.max(0, ...snapshots.map((snapshot) => snapshot.oldestWaitingAgeSeconds)),
    // Shards share a connection, hence a server (on a cluster the snapshot already covers all masters).
    redisUsedMemoryBytes: snapshots[0]?.redisUsedMemoryBytes ?? null,
  };
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
  return jobs.flatMap((job) => pushesOf(job.name, job.data).map((push) => ({ id: job.id, jobName: job.name, name: push.name, data: push.data })));
}
