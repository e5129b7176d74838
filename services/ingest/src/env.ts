import { z } from 'zod';
import { boundedInt, logLevel, parseEnv, port, url } from '@callpipe/runtime';

export const ingestEnvSchema = z.object({
  // Public push endpoint
  INGEST_HOST: z.string().min(1).default('0.0.0.0'),
  INGEST_PORT: port(8080),
  INGEST_BODY_LIMIT_BYTES: boundedInt(1_024, 16 * 1024 * 1024, 1024 * 1024),
  INGEST_HEADERS_TIMEOUT_MS: boundedInt(1_000, 120_000, 10_000),
  INGEST_REQUEST_TIMEOUT_MS: boundedInt(1_000, 300_000, 30_000),
  // Admin endpoint: /healthz, /readyz, /metrics
  INGEST_ADMIN_HOST: z.string().min(1).default('0.0.0.0'),
  INGEST_ADMIN_PORT: port(9091),
  // Queue
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  CALLPIPE_QUEUE_PREFIX: z.string().regex(/^[\w{}:-]{1,64}$/, 'letters, digits, _ - : { } only, at most 64').default('callpipe'),
  INGEST_ENQUEUE_TIMEOUT_MS: boundedInt(50, 30_000, 2_000),
  INGEST_ENQUEUE_MAX_BATCH: boundedInt(1, 5_000, 500),
  // Local durable spool for pushes Redis cannot take (one directory per ingest process, on a persistent disk)
  INGEST_SPOOL_DIR: z.string().min(1).default('var/spool'),
  INGEST_SPOOL_MAX_BYTES: boundedInt(1_024, Number.MAX_SAFE_INTEGER, 1_073_741_824),
  INGEST_SPOOL_DRAIN_INTERVAL_MS: boundedInt(50, 60_000, 500),
  // Process
  INGEST_SHUTDOWN_DEADLINE_MS: boundedInt(1_000, 600_000, 25_000),
  LOG_LEVEL: logLevel,
});

export type IngestEnv = z.infer<typeof ingestEnvSchema>;

export function parseIngestEnv(env: NodeJS.ProcessEnv): IngestEnv {
  return parseEnv(ingestEnvSchema, env);
}
