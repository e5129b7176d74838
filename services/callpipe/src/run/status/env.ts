import { z } from 'zod';
import { ingestEnvSchema } from '@callpipe/ingest';
import { parseEnv } from '@callpipe/runtime';
import { workerEnvSchema } from '@callpipe/worker';

/**
 * What `callpipe status` reads, with the services' own definitions and defaults, so it looks where
 * they work. The rest of the environment is judged by the configuration check, not refused here.
 */
export const statusEnvSchema = z.object({
  DATABASE_URL: workerEnvSchema.shape.DATABASE_URL,
  REDIS_URL: workerEnvSchema.shape.REDIS_URL,
  CALLPIPE_QUEUE_PREFIX: workerEnvSchema.shape.CALLPIPE_QUEUE_PREFIX,
  CALLPIPE_QUEUE_SHARDS: workerEnvSchema.shape.CALLPIPE_QUEUE_SHARDS,
  CALLPIPE_PARTITIONS_AHEAD_DAYS: workerEnvSchema.shape.CALLPIPE_PARTITIONS_AHEAD_DAYS,
  CALLPIPE_APP_BUSINESS: workerEnvSchema.shape.CALLPIPE_APP_BUSINESS,
  INGEST_SPOOL_DIR: ingestEnvSchema.shape.INGEST_SPOOL_DIR,
  LOG_LEVEL: workerEnvSchema.shape.LOG_LEVEL,
});
export type StatusEnv = z.infer<typeof statusEnvSchema>;
export const parseStatusEnv = (env: NodeJS.ProcessEnv): StatusEnv => parseEnv(statusEnvSchema, env);
