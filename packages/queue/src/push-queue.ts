import { backoffDelayMs } from '@callpipe/runtime';
import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import { PUSH_QUEUE_NAME, type PushJobName, type QueueJobData } from './jobs.ts';
import { shardPrefixes } from './shards.ts';

export const RETRY_BACKOFF = 'callpipe-capped-jitter';

export interface RetryPolicy {
  /** Enforced by the worker, which knows its own configuration; producers set only a ceiling. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 60_000 };

/** Upper bound for WORKER_MAX_ATTEMPTS: jobs carry this, the worker gives up earlier by its own setting. */
export const MAX_JOB_ATTEMPTS = 100;

export function pushJobOptions(): DefaultJobOptions {
  return {
    attempts: MAX_JOB_ATTEMPTS,
    backoff: { type: RETRY_BACKOFF },
    // Completed jobs are only kept briefly (the data is in Postgres); failed ones are the dead
    // letters and stay until an operator retries or removes them.
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: false,
  };
}

/** The policy's backoff (capped, jittered: see backoffDelayMs), so a Postgres outage does not cause thundering retries. */
export function retryDelayMs(attemptsMade: number, policy: RetryPolicy = defaultRetryPolicy, random: () => number = Math.random): number {
  return backoffDelayMs(attemptsMade, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, random });
}

export type PushQueue = Queue<QueueJobData, void, PushJobName>;

export function createPushQueue(connection: ConnectionOptions, prefix: string): PushQueue {
  return new Queue<QueueJobData, void, PushJobName>(PUSH_QUEUE_NAME, { connection, prefix, defaultJobOptions: pushJobOptions() });
}

/** One queue per shard, index = shard number, all on the same connection. */
export function createPushQueues(connection: ConnectionOptions, configuredPrefix: string, shards: number): PushQueue[] {
  return shardPrefixes(configuredPrefix, shards).map((prefix) => createPushQueue(connection, prefix));
}
