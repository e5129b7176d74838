import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { replayTtlSeconds } from '@callpipe/auth';
import { createIngestMetrics, createMetricsRegistry } from '@callpipe/metrics';
import { confirmReplicated, createPushQueues, createRedisConnection, Enqueuer, queuePrefix, shardOf } from '@callpipe/queue';
import { closeServer, coerceError, createAdminServer, type Logger } from '@callpipe/runtime';
import { createIngestListener } from './app.ts';
import type { IngestEnv } from './env.ts';
import { Spool, type SpoolEntry } from './spool.ts';
import { NonceStore } from './security/nonce-store.ts';
import { createSignatureGate } from './security/signature-gate.ts';
import { createSourceGate } from './security/source-gate.ts';
import { VOICECALL_CIPHER_SUITES } from './tls.ts';

export interface IngestService {
  start(): Promise<{ port: number; adminPort: number }>;
  /** Readiness turns 503 at once, intake stops, in-flight requests finish, the spool is flushed if Redis allows, then Redis closes. */
  stop(): Promise<void>;
  beginDraining(): void;
}

const FINAL_DRAIN_MS = 5_000;

export function createIngestService(env: IngestEnv, logger: Logger): IngestService {
  const registry = createMetricsRegistry('ingest');
  const spool = new Spool({ dir: env.INGEST_SPOOL_DIR, maxBytes: env.INGEST_SPOOL_MAX_BYTES });
  const metrics = createIngestMetrics(registry, () => ({ bytes: spool.bytes, oldestAgeSeconds: spool.oldestAgeSeconds() }));
  const redis = createRedisConnection(env.REDIS_URL, 'producer');
  redis.on('error', (error: Error) => logger.debug('redis connection error', { error: error.message }));
  const queues = createPushQueues(redis, env.CALLPIPE_QUEUE_PREFIX, env.CALLPIPE_QUEUE_SHARDS);
  for (const queue of queues) queue.on('error', (error) => logger.debug('queue error', { error: error.message }));
  const replication = { replicas: env.INGEST_REDIS_WAIT_REPLICAS, timeoutMs: env.INGEST_REDIS_WAIT_TIMEOUT_MS };
  const enqueuer = new Enqueuer(queues, {
    maxBatch: env.INGEST_ENQUEUE_MAX_BATCH,
    timeoutMs: env.INGEST_ENQUEUE_TIMEOUT_MS,
    replication,
    onBatch: (size) => metrics.enqueueBatchSize.observe(size),
  });
  const nonces = new NonceStore(redis, {
    prefix: queuePrefix(env.CALLPIPE_QUEUE_PREFIX),
    ttlSeconds: replayTtlSeconds({
      maxSkewSeconds: env.INGEST_SIGNATURE_MAX_SKEW_SECONDS,
      createdZones: env.INGEST_SIGNATURE_CREATED_ZONES,
    }),
    timeoutMs: env.INGEST_ENQUEUE_TIMEOUT_MS,
  });
  const gates = [
    createSourceGate(env.INGEST_ALLOWED_SOURCES, env.INGEST_TRUSTED_PROXIES.list),
    createSignatureGate({
      mode: env.INGEST_SIGNATURE_MODE,
      apps: env.appSecrets,
      defaultUrl: env.INGEST_SIGNATURE_URL || null,
      maxSkewSeconds: env.INGEST_SIGNATURE_MAX_SKEW_SECONDS,
      createdZones: env.INGEST_SIGNATURE_CREATED_ZONES,
      nonces,
      metrics,
      logger,
    }),
  ];
  const app = createIngestListener({
    enqueuer,
    spool,
    gates,
    metrics,
    logger,
    bodyLimitBytes: env.INGEST_BODY_LIMIT_BYTES,
    pathSecret: env.INGEST_PATH_SECRET,
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
  });
  let server: Server | null = null;
  let drainTimer: NodeJS.Timeout | null = null;
  let spoolDraining: Promise<void> | null = null;

  const sendToQueue = async (entries: SpoolEntry[]) => {
    const byShard = Map.groupBy(entries, (entry) => shardOf(entry.data.routingKey, queues.length));
    await Promise.all(
      [...byShard].map(async ([shard, group]) => {
        const queue = queues[shard]!;
        await queue.addBulk(group.map(({ name, data }) => ({ name, data, opts: { jobId: data.deliveryId } })));
        // A segment is deleted once its pushes are in Redis: with replicas required, on them too.
        await confirmReplicated(queue, replication);
      }),
    );
    metrics.spoolDrained.inc(entries.length);
  };
  const drainSpool = (): Promise<void> => {
    if (spoolDraining || spool.isEmpty() || redis.status !== 'ready') return spoolDraining ?? Promise.resolve();
    spoolDraining = spool
      .drain(sendToQueue)
      .then((sent) => {
        if (sent > 0) logger.info('spooled pushes moved to the queue', { sent, remainingBytes: spool.bytes });
      })
      .catch((error: unknown) => logger.warn('spool drain interrupted, will retry', { error: coerceError(error).message }))
      .finally(() => (spoolDraining = null));
    return spoolDraining;
  };

  return {
    async start() {
      await spool.open();
      // Give Redis a moment to connect so the first pushes go to the queue, not the spool; if it is
      // down, start anyway: the spool takes the pushes.
      if (redis.status !== 'ready') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, env.INGEST_ENQUEUE_TIMEOUT_MS);
          redis.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      if (!spool.isEmpty())
        logger.warn('spool holds pushes from an earlier run; they will be queued when Redis is reachable', { bytes: spool.bytes });
      drainTimer = setInterval(() => void drainSpool(), env.INGEST_SPOOL_DRAIN_INTERVAL_MS);
      const adminAddress = await admin.start();
      const serverOptions = {
        headersTimeout: env.INGEST_HEADERS_TIMEOUT_MS,
        requestTimeout: env.INGEST_REQUEST_TIMEOUT_MS,
        // How often slow clients are checked against those timeouts (Node's default is 30 s).
        connectionsCheckingInterval: Math.min(1_000, env.INGEST_HEADERS_TIMEOUT_MS),
        // The platform uses short connections; keep-alive only helps load generators and proxies.
        keepAliveTimeout: 5_000,
      };
      server = env.tls
        ? createHttpsServer(
            {
              ...serverOptions,
              cert: env.tls.cert,
              key: env.tls.key,
              minVersion: 'TLSv1.2',
              ciphers: VOICECALL_CIPHER_SUITES.join(':'),
              honorCipherOrder: true,
            },
            app,
          )
        : createHttpServer(serverOptions, app);
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(env.INGEST_PORT, env.INGEST_HOST, () => {
          listening.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : env.INGEST_PORT;
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
      if (drainTimer) clearInterval(drainTimer);
      // One last bounded attempt to hand spooled pushes to Redis; whatever remains waits on disk
      // for the next start.
      await Promise.race([drainSpool(), new Promise((resolve) => setTimeout(resolve, FINAL_DRAIN_MS).unref())]);
      if (!spool.isEmpty()) logger.warn('spool left on disk for the next start', { bytes: spool.bytes });
      await spool.close();
      await Promise.all(queues.map((queue) => queue.close()));
      await redis.quit().catch(() => redis.disconnect());
      await admin.stop();
    },
  };
}
