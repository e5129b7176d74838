export * from './jobs.ts';
export * from './connections.ts';
export * from './push-queue.ts';
export { Enqueuer, type EnqueuerOptions } from './enqueuer.ts';
export { queueSnapshot } from './snapshot.ts';
