import { z } from 'zod';
import { redisUrlProblem } from '@callpipe/queue';
import { archiveEnvShape, partitionEnvShape } from '@callpipe/worker';
import { boundedInt, checkedString, logLevel, parseEnv, url } from '@callpipe/runtime';

export const migrateEnvSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/callpipe'),
  // migrate and `partitions maintain` keep the daily partitions as the worker does.
  ...partitionEnvShape,
  // ...and archive expired days where the worker does before dropping them; `archive` reads it.
  ...archiveEnvShape,
  LOG_LEVEL: logLevel,
});

export const queueAdminEnvSchema = z.object({
  REDIS_URL: checkedString('redis://127.0.0.1:6379', redisUrlProblem),
  CALLPIPE_QUEUE_PREFIX: z
    .string()
    .regex(/^[\w{}:-]{1,64}$/, 'letters, digits, _ - : { } only, at most 64')
    .default('callpipe'),
  // Several queues (hash of the session id) spread the load over Redis Cluster slots; every ingest,
  // worker and the CLI must agree on the number.
  CALLPIPE_QUEUE_SHARDS: boundedInt(1, 64, 1),
  LOG_LEVEL: logLevel,
});

export const parseMigrateEnv = (env: NodeJS.ProcessEnv) => parseEnv(migrateEnvSchema, env);
export const parseQueueAdminEnv = (env: NodeJS.ProcessEnv) => parseEnv(queueAdminEnvSchema, env);
