import type { Server } from 'node:http';
import { createIngestMetrics, createMetricsRegistry } from '@callpipe/metrics';
import { createPushQueue, createRedisConnection, Enqueuer, queuePrefix } from '@callpipe/queue';
import { closeServer, createAdminServer, listen, type Logger } from '@callpipe/runtime';
import { createIngestApp } from './app.ts';
import type { IngestEnv } from './env.ts';

export interface IngestService {
  start(): Promise<{ port: number; adminPort: number }>;
  /** Readiness turns 503 at once, intake stops, in-flight requests finish, then Redis closes. */
  stop(): Promise<void>;
  beginDraining(): void;
}

export function createIngestService(env: IngestEnv, logger: Logger): IngestService {
  const registry = createMetricsRegistry('ingest');
  const metrics = createIngestMetrics(registry);
  const redis = createRedisConnection(env.REDIS_URL, 'producer');
  redis.on('error', (error) => logger.warn('redis connection error', { error: error.message }));
  const queue = createPushQueue(redis, queuePrefix(env.CALLPIPE_QUEUE_PREFIX));
  queue.on('error', (error) => logger.warn('queue error', { error: error.message }));
  const enqueuer = new Enqueuer(queue, {
    maxBatch: env.INGEST_ENQUEUE_MAX_BATCH,
    timeoutMs: env.INGEST_ENQUEUE_TIMEOUT_MS,
    onBatch: (size) => metrics.enqueueBatchSize.observe(size),
  });
  const app = createIngestApp({ enqueuer, metrics, logger, bodyLimitBytes: env.INGEST_BODY_LIMIT_BYTES });
  let draining = false;
  const admin = createAdminServer({
    host: env.INGEST_ADMIN_HOST,
    port: env.INGEST_ADMIN_PORT,
    registry,
    logger,
    isDraining: () => draining,
    readinessChecks: [{ name: 'redis', check: async () => void (await redis.ping()) }],
  });
  let server: Server | null = null;

  return {
    async start() {
      const adminAddress = await admin.start();
      server = await listen(app, env.INGEST_HOST, env.INGEST_PORT, (created) => {
        created.headersTimeout = env.INGEST_HEADERS_TIMEOUT_MS;
        created.requestTimeout = env.INGEST_REQUEST_TIMEOUT_MS;
        // The platform uses short connections; keep-alive only helps load generators and proxies.
        created.keepAliveTimeout = 5_000;
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : env.INGEST_PORT;
      logger.info('ingest listening', { port, adminPort: adminAddress.port });
      return { port, adminPort: adminAddress.port };
    },
    beginDraining() {
      draining = true;
    },
    async stop() {
      draining = true;
      if (server) await closeServer(server);
      server = null;
      await queue.close();
      await redis.quit().catch(() => redis.disconnect());
      await admin.stop();
    },
  };
}
