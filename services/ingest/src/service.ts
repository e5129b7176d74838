import type { Server } from 'node:http';
import { createIngestMetrics, createMetricsRegistry } from '@callpipe/metrics';
import { createPushQueues, createRedisConnection, Enqueuer, type RedisClient } from '@callpipe/queue';
import { closeServer, createAdminServer, type Logger } from '@callpipe/runtime';
import { createIngestListener } from './app.ts';
import { openApiDocument } from './contract/openapi.ts';
import type { IngestEnv } from './env.ts';
import { boundPort, startPublicServer } from './public-server.ts';
import { createGates } from './security/gates.ts';
import { createSpoolDrainer, spoolEvents } from './spool-drainer.ts';
import { Spool } from './spool/spool.ts';

export interface IngestService {
  start(): Promise<{ port: number; adminPort: number }>;
  /** Readiness turns 503 at once, intake stops, in-flight requests finish, the spool is flushed if Redis allows, then Redis closes. */
  stop(): Promise<void>;
  beginDraining(): void;
}

const FINAL_DRAIN_MS = 5_000;

export function createIngestService(env: IngestEnv, logger: Logger): IngestService {
  const registry = createMetricsRegistry('ingest');
  const metrics = createIngestMetrics(registry, () => ({ bytes: spool.bytes, oldestAgeSeconds: spool.oldestAgeSeconds() }));
  const spool = new Spool({ dir: env.INGEST_SPOOL_DIR, maxBytes: env.INGEST_SPOOL_MAX_BYTES, events: spoolEvents(metrics, logger) });
  const redis = createRedisConnection(env.REDIS_URL, 'producer');
  redis.on('error', (error: Error) => logger.debug('redis connection error', { error: error.message }));
  const queues = createPushQueues(redis, env.CALLPIPE_QUEUE_PREFIX, env.CALLPIPE_QUEUE_SHARDS);
  for (const queue of queues) queue.on('error', (error) => logger.debug('queue error', { error: error.message }));
  const enqueuer = new Enqueuer(queues, {
    maxBatch: env.INGEST_ENQUEUE_MAX_BATCH,
    timeoutMs: env.INGEST_ENQUEUE_TIMEOUT_MS,
    replication: { replicas: env.INGEST_REDIS_WAIT_REPLICAS, timeoutMs: env.INGEST_REDIS_WAIT_TIMEOUT_MS },
    onBatch: (size) => metrics.enqueueBatchSize.observe(size),
  });
  const listener = createIngestListener({
    enqueuer,
    spool,
    gates: createGates(env, redis, metrics, logger),
    metrics,
    logger,
    bodyLimitBytes: env.INGEST_BODY_LIMIT_BYTES,
    pathSecret: env.INGEST_PATH_SECRET,
  });
  const drainer = createSpoolDrainer({
    spool,
    enqueuer,
    redisReady: () => redis.status === 'ready',
    metrics,
    logger,
    intervalMs: env.INGEST_SPOOL_DRAIN_INTERVAL_MS,
  });
  let draining = false;
  const admin = createAdminServer({
    host: env.INGEST_ADMIN_HOST,
    port: env.INGEST_ADMIN_PORT,
    registry,
    logger,
    isDraining: () => draining,
    // Redis being down does not make the ingest unready while the spool still takes pushes.
    readinessChecks: [
      {
        name: 'spool',
        check: () =>
          !spool.isFull() || redis.status === 'ready'
            ? Promise.resolve()
            : Promise.reject(new Error('Redis is down and the spool is full: pushes get 503')),
      },
    ],
    // The API contract (infra/openapi/openapi.json), rendered once from the zod schemas.
    mount: (app) => {
      const contract = JSON.stringify(openApiDocument());
      app.get('/openapi.json', (_request, response) => {
        response.type('application/json').send(contract);
      });
    },
  });
  let server: Server | null = null;

  return {
    async start() {
      await spool.open();
      // Give Redis a moment to connect so the first pushes go to the queue, not the spool; if it is
      // down, start anyway: the spool takes the pushes.
      await redisReadyWithin(redis, env.INGEST_ENQUEUE_TIMEOUT_MS);
      if (!spool.isEmpty())
        logger.warn('spool holds pushes from an earlier run; they will be queued when Redis is reachable', { bytes: spool.bytes });
      drainer.start();
      const adminAddress = await admin.start();
      server = await startPublicServer(env, listener);
      const port = boundPort(server, env.INGEST_PORT);
      logger.info('ingest listening', {
        port,
        tls: env.tls !== null,
        adminPort: adminAddress.port,
        spoolDir: env.INGEST_SPOOL_DIR,
        signatureMode: env.INGEST_SIGNATURE_MODE,
        signingApps: env.appSecrets.size,
        allowlist: env.INGEST_ALLOWED_SOURCES.size > 0,
        pathSecret: env.INGEST_PATH_SECRET !== '',
      });
      return { port, adminPort: adminAddress.port };
    },
    beginDraining() {
      draining = true;
    },
    async stop() {
      draining = true;
      if (server) await closeServer(server);
      server = null;
      // One last bounded attempt to hand spooled pushes to Redis; whatever remains waits on disk
      // for the next start.
      await drainer.stop(FINAL_DRAIN_MS);
      if (!spool.isEmpty()) logger.warn('spool left on disk for the next start', { bytes: spool.bytes });
      await spool.close();
      await Promise.all(queues.map((queue) => queue.close()));
      await redis.quit().catch(() => redis.disconnect());
      await admin.stop();
    },
  };
}

function redisReadyWithin(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
