import { z } from 'zod';
import { redisUrlProblem } from '@callpipe/queue';
import { partitionEnvShape } from '@callpipe/worker';
import { postgresUrlProblem } from '@callpipe/db';
import { boundedInt, checkedString, logLevel, parseEnv } from '@callpipe/runtime';

export const migrateEnvSchema = z.object({
  // Several hosts and target_session_attrs=read-write as libpq takes them, for a primary switch.
  DATABASE_URL: checkedString('postgres://postgres@127.0.0.1:5432/callpipe', postgresUrlProblem),
  // migrate and `partitions maintain` keep the daily partitions as the worker does.
  ...partitionEnvShape,
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
