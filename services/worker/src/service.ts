import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { createDatabase, isRetryableDatabaseError } from '@callpipe/db';
import { createMetricsRegistry, createWorkerMetrics, registerQueueMetrics } from '@callpipe/metrics';
import {
  createPushQueues,
  createRedisConnection,
  isPushBatch,
  PUSH_QUEUE_NAME,
  pushesOf,
  pushJob,
  queuesSnapshot,
  retryDelayMs,
  RETRY_BACKOFF,
  type PushJobName,
  type PushQueue,
  type QueueJobData,
  type RetryPolicy,
} from '@callpipe/queue';
import { coerceError, createAdminServer, type Logger } from '@callpipe/runtime';
import { sql } from 'kysely';
import { BatchWriter } from './batch-writer.ts';
import { openObjectStore } from '@callpipe/object-store';
import { archiveSettings, isLoopbackHost, type WorkerEnv } from './env.ts';
import { decideFailure } from './decide-failure.ts';
import { createBatchStore } from './store-batch.ts';
import { callsWrittenBy, workItemFromJob, type WorkItem } from './work-item.ts';
import { createNumberHasher } from './number-protection.ts';
import { mountQueueUi } from './queue-ui.ts';
import { createBusinessGapWatch } from './business-gaps.ts';
import { createPartitionMaintenance } from './partition-maintenance.ts';
import { createMissingCdrGauge } from './missing-cdr-gauge.ts';
import { createRecordingsFromEnv } from './recordings/from-env.ts';

export interface WorkerService {
  start(): Promise<{ adminPort: number }>;
  /** Stops taking jobs, finishes and commits the ones in flight, then closes Redis and Postgres. */
  stop(): Promise<void>;
  beginDraining(): void;
}

export function createWorkerService(env: WorkerEnv, logger: Logger): WorkerService {
  const registry = createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(registry);
  const db = createDatabase({ connectionString: env.DATABASE_URL, poolSize: env.WORKER_DB_POOL_SIZE, applicationName: 'callpipe-worker' });
  const archiveConfig = archiveSettings(env);
  const archive = archiveConfig.url === null ? undefined : openObjectStore(archiveConfig.url, archiveConfig.s3);
  if (env.CALLPIPE_RETENTION_DAYS > 0 && !archive)
    logger.warn('CALLPIPE_RETENTION_DAYS is set without CALLPIPE_ARCHIVE_URL: expired days are deleted for good');
  const partitions = createPartitionMaintenance(
    db,
    { aheadDays: env.CALLPIPE_PARTITIONS_AHEAD_DAYS, retentionDays: env.CALLPIPE_RETENTION_DAYS, ...(archive ? { archive } : {}) },
    logger,
    metrics,
  );
  const missingCdrs = createMissingCdrGauge(db, metrics, { horizonMs: env.WORKER_MISSING_CDR_HORIZON }, logger);
  const recordings = createRecordingsFromEnv(env, db, registry, logger);
  const policy: RetryPolicy = {
    attempts: env.WORKER_MAX_ATTEMPTS,
    baseDelayMs: env.WORKER_RETRY_BASE_MS,
    maxDelayMs: env.WORKER_RETRY_MAX_MS,
  };
  const workerRedis = createRedisConnection(env.REDIS_URL, 'worker');
  const adminRedis = createRedisConnection(env.REDIS_URL, 'worker', { connectionName: 'callpipe-worker-admin' });
  for (const connection of [workerRedis, adminRedis])
    connection.on('error', (error: Error) => logger.warn('redis connection error', { error: error.message }));
  const queues = createPushQueues(adminRedis, env.CALLPIPE_QUEUE_PREFIX, env.CALLPIPE_QUEUE_SHARDS);
  for (const queue of queues) queue.on('error', (error) => logger.warn('queue error', { error: error.message }));
  registerQueueMetrics(registry, () => queuesSnapshot(queues));
  const options = { businessByAppKey: env.CALLPIPE_APP_BUSINESS };
  const watchBusinessGaps = createBusinessGapWatch(env.CALLPIPE_APP_BUSINESS, metrics.callsWithoutBusiness, logger);
  const hashNumber = env.CALLPIPE_NUMBER_HASH_KEY ? createNumberHasher(env.CALLPIPE_NUMBER_HASH_KEY) : null;
  const writer = new BatchWriter<WorkItem>(createBatchStore(db, metrics, env.CALLPIPE_BILLING_TIME_ZONE), {
    maxBatch: env.WORKER_BATCH_MAX,
    maxWaitMs: env.WORKER_BATCH_WAIT_MS,
    maxParallel: env.WORKER_PARALLEL_BATCHES,
    isRetryable: isRetryableDatabaseError,
    conflictKeys: callsWrittenBy,
  });

  const processJob = async (queue: PushQueue, job: Job<QueueJobData, void, PushJobName>, token?: string): Promise<void> => {
    const started = Date.now();
    const pushes = pushesOf(job.name, job.data);
    const items = pushes.map((push) => workItemFromJob(push.data, options, hashNumber));
    const outcomes = await writer.submitAll(items);
    const failures = outcomes.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [{ push: pushes[index]!, error: outcome.reason as unknown }] : [],
    );
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') metrics.jobs.inc({ outcome: items[index]!.kind === 'rejected' ? 'rejected' : 'stored' });
    }
    watchBusinessGaps(items.filter((_item, index) => outcomes[index]!.status === 'fulfilled'));
    metrics.jobDuration.observe((Date.now() - started) / 1000);
    const [first, ...rest] = failures;
    if (!first) return;

    const decision = decideFailure({
      failures: [first, ...rest],
      batch: isPushBatch(job.data),
      token,
      attemptsMade: job.attemptsMade,
      attemptsStarted: job.attemptsStarted,
      policy,
      isOutage: isRetryableDatabaseError,
    });
    switch (decision.action) {
      case 'delay':
        logger.warn('database unavailable, job delayed', {
          jobId: job.id,
          pushes: pushes.length,
          delayMs: decision.delayMs,
          error: decision.reason,
        });
        metrics.jobs.inc({ outcome: 'retry' }, failures.length);
        await job.moveToDelayed(Date.now() + decision.delayMs, token);
        throw new DelayedError();
      case 'split':
        await queue.addBulk(decision.pushes.map(pushJob));
        metrics.jobs.inc({ outcome: 'split' }, decision.pushes.length);
        logger.warn('pushes of a batch failed, queued again on their own', {
          jobId: job.id,
          failed: decision.pushes.length,
          pushes: pushes.length,
          error: decision.reason,
        });
        return;
      case 'retry':
      case 'dead-letter': {
        const willRetry = decision.action === 'retry';
        metrics.jobs.inc({ outcome: willRetry ? 'retry' : 'failed' });
        logger.error(willRetry ? 'job failed, will retry' : 'job failed for good, kept as a dead letter', {
          deliveryId: pushes[0]?.data.deliveryId,
          attempt: decision.attempt,
          error: decision.reason,
        });
        throw willRetry ? decision.error : new UnrecoverableError(decision.message);
      }
    }
  };

  // One BullMQ worker per queue shard; they share the batch writer, so pushes from every shard
  // fill the same transactions.
  const workers = queues.map((queue) => {
    const worker = new Worker<QueueJobData, void, PushJobName>(PUSH_QUEUE_NAME, (job, token) => processJob(queue, job, token), {
      connection: workerRedis,
      prefix: queue.opts.prefix!,
      concurrency: Math.max(1, Math.ceil(env.WORKER_CONCURRENCY / queues.length)),
      autorun: false,
      lockDuration: env.WORKER_LOCK_DURATION_MS,
      stalledInterval: env.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: env.WORKER_MAX_STALLS,
      settings: { backoffStrategy: (attemptsMade, type) => (type === RETRY_BACKOFF ? retryDelayMs(attemptsMade, policy) : 1_000) },
    });
    worker.on('error', (error) => logger.warn('worker error', { error: error.message }));
    worker.on('stalled', (jobId) => {
      metrics.jobs.inc({ outcome: 'stalled' });
      logger.warn('job stalled, it will be processed again', { jobId });
    });
    return worker;
  });

  let draining = false;
  const admin = createAdminServer({
    host: env.WORKER_ADMIN_HOST,
    port: env.WORKER_ADMIN_PORT,
    registry,
    logger,
    isDraining: () => draining,
    mount: (app) =>
      mountQueueUi(app, queues, { mode: env.WORKER_QUEUE_UI, token: env.WORKER_QUEUE_UI_TOKEN, unmasked: env.WORKER_QUEUE_UI_UNMASKED }),
    readinessChecks: [
      { name: 'redis', check: async () => void (await adminRedis.ping()) },
      { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(db)) },
    ],
  });
  let running: Promise<void> | null = null;

  return {
    async start() {
      const { port } = await admin.start();
      partitions.start();
      missingCdrs.start();
      recordings?.fetcher.start();
      running = Promise.all(workers.map((worker) => worker.run())).then(() => undefined);
      running.catch((error: unknown) => logger.error('worker loop stopped', { error: coerceError(error).message }));
      if (env.WORKER_QUEUE_UI !== 'off' && env.WORKER_QUEUE_UI_TOKEN === '' && !isLoopbackHost(env.WORKER_ADMIN_HOST))
        logger.warn('the queue UI at /queues needs no token and is open to anyone who reaches the admin port; set WORKER_QUEUE_UI_TOKEN', {
          host: env.WORKER_ADMIN_HOST,
          adminPort: port,
          mode: env.WORKER_QUEUE_UI,
        });
      logger.info('worker running', { adminPort: port, concurrency: env.WORKER_CONCURRENCY, batchMax: env.WORKER_BATCH_MAX });
      return { adminPort: port };
    },
    beginDraining() {
      draining = true;
    },
    async stop() {
      draining = true;
      // close() waits for the jobs in flight; they settle as soon as their batches commit.
      await Promise.all(workers.map((worker) => worker.close()));
      await writer.drain();
      await recordings?.fetcher.stop();
      await recordings?.store.close();
      await Promise.all(queues.map((queue) => queue.close()));
      await Promise.all([workerRedis.quit().catch(() => workerRedis.disconnect()), adminRedis.quit().catch(() => adminRedis.disconnect())]);
      await partitions.stop();
      await missingCdrs.stop();
      await archive?.close();
      await db.destroy();
      await admin.stop();
    },
  };
}
