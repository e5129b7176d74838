import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { createDatabase, isRetryableDatabaseError } from '@callpipe/db';
import { createMetricsRegistry, createWorkerMetrics, registerQueueMetrics } from '@callpipe/metrics';
import {
  createPushQueue,
  createRedisConnection,
  PUSH_QUEUE_NAME,
  queuePrefix,
  queueSnapshot,
  retryDelayMs,
  RETRY_BACKOFF,
  type PushJobData,
  type PushJobName,
  type RetryPolicy,
} from '@callpipe/queue';
import { coerceError, createAdminServer, type Logger } from '@callpipe/runtime';
import { sql } from 'kysely';
import { BatchWriter } from './batch-writer.ts';
import type { WorkerEnv } from './env.ts';
import { createBatchStore } from './store-batch.ts';
import { workItemFromJob, type WorkItem } from './work-item.ts';
import { createNumberHasher } from './number-protection.ts';
import { mountQueueUi } from './queue-ui.ts';
import { createPartitionMaintenance } from './partition-maintenance.ts';

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
  const partitions = createPartitionMaintenance(db, { aheadDays: env.CALLPIPE_PARTITIONS_AHEAD_DAYS, retentionDays: env.CALLPIPE_RETENTION_DAYS }, logger, metrics);
  const prefix = queuePrefix(env.CALLPIPE_QUEUE_PREFIX);
  const policy: RetryPolicy = { attempts: env.WORKER_MAX_ATTEMPTS, baseDelayMs: env.WORKER_RETRY_BASE_MS, maxDelayMs: env.WORKER_RETRY_MAX_MS };
  const workerRedis = createRedisConnection(env.REDIS_URL, 'worker');
  const adminRedis = createRedisConnection(env.REDIS_URL, 'worker', { connectionName: 'callpipe-worker-admin' });
  for (const connection of [workerRedis, adminRedis]) connection.on('error', (error) => logger.warn('redis connection error', { error: error.message }));
  const queue = createPushQueue(adminRedis, prefix);
  queue.on('error', (error) => logger.warn('queue error', { error: error.message }));
  registerQueueMetrics(registry, () => queueSnapshot(queue));
  const options = { businessByAppKey: env.CALLPIPE_APP_BUSINESS };
  const hashNumber = env.CALLPIPE_NUMBER_HASH_KEY ? createNumberHasher(env.CALLPIPE_NUMBER_HASH_KEY) : null;
  const writer = new BatchWriter<WorkItem>(createBatchStore(db, metrics), {
    maxBatch: env.WORKER_BATCH_MAX,
    maxWaitMs: env.WORKER_BATCH_WAIT_MS,
    maxParallel: env.WORKER_PARALLEL_BATCHES,
    isRetryable: isRetryableDatabaseError,
  });

  const processJob = async (job: Job<PushJobData, void, PushJobName>, token?: string): Promise<void> => {
    const started = Date.now();
    const item = workItemFromJob(job.data, options, hashNumber);
    try {
      await writer.submit(item);
    } catch (error) {
      if (isRetryableDatabaseError(error) && token) {
        // An outage is not the push's fault: wait it out without using up the job's attempts, so
        // nothing becomes a dead letter just because Postgres was down for a while.
        const delay = retryDelayMs(job.attemptsStarted, policy);
        logger.warn('database unavailable, job delayed', { deliveryId: job.data.deliveryId, delayMs: delay, error: coerceError(error).message });
        metrics.jobs.inc({ outcome: 'retry' });
        await job.moveToDelayed(Date.now() + delay, token);
        throw new DelayedError();
      }
      const willRetry = job.attemptsMade + 1 < policy.attempts;
      metrics.jobs.inc({ outcome: willRetry ? 'retry' : 'failed' });
      const message = coerceError(error).message;
      logger.error(willRetry ? 'job failed, will retry' : 'job failed for good, kept as a dead letter', {
        deliveryId: job.data.deliveryId,
        attempt: job.attemptsMade + 1,
        error: message,
      });
      throw willRetry ? error : new UnrecoverableError(`gave up after ${job.attemptsMade + 1} attempts: ${message}`);
    }
    metrics.jobs.inc({ outcome: item.kind === 'refused' ? 'refused' : 'stored' });
    metrics.jobDuration.observe((Date.now() - started) / 1000);
  };

  const worker = new Worker<PushJobData, void, PushJobName>(PUSH_QUEUE_NAME, processJob, {
    connection: workerRedis,
    prefix,
    concurrency: env.WORKER_CONCURRENCY,
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

  let draining = false;
  const admin = createAdminServer({
    host: env.WORKER_ADMIN_HOST,
    port: env.WORKER_ADMIN_PORT,
    registry,
    logger,
    isDraining: () => draining,
    mount: (app) => mountQueueUi(app, queue, env.WORKER_QUEUE_UI),
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
      running = worker.run();
      running.catch((error: unknown) => logger.error('worker loop stopped', { error: coerceError(error).message }));
      logger.info('worker running', { adminPort: port, concurrency: env.WORKER_CONCURRENCY, batchMax: env.WORKER_BATCH_MAX });
      return { adminPort: port };
    },
    beginDraining() {
      draining = true;
    },
    async stop() {
      draining = true;
      // close() waits for the jobs in flight; they settle as soon as their batches commit.
      await worker.close();
      await writer.drain();
      await queue.close();
      await Promise.all([workerRedis.quit().catch(() => workerRedis.disconnect()), adminRedis.quit().catch(() => adminRedis.disconnect())]);
      await partitions.stop();
      await db.destroy();
      await admin.stop();
    },
  };
}
