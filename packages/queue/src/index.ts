export * from './jobs.ts';
export * from './connections.ts';
export * from './push-queue.ts';
export { Enqueuer, type EnqueuerOptions } from './enqueuer.ts';
export { queuedPushes, queuesSnapshot, type QueuedPush, type QueuesSnapshot } from './snapshot.ts';
export { shardOf, shardPrefixes } from './shards.ts';
export { confirmReplicated, ReplicationError, writerConnection, type ReplicationWait } from './replication.ts';
export { maskJobData } from './mask-job.ts';
