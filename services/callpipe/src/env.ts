import { z } from 'zod';
import { redisUrlProblem } from '@callpipe/queue';
import { partitionEnvShape } from '@callpipe/worker';
import { boundedInt, checkedString, logLevel, parseEnv, url } from '@callpipe/runtime';

export const migrateEnvSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/callpipe'),
  // migrate and `partitions maintain` keep the daily partitions as the worker does.
  ...partitionEnvShape,
  // The read-only role Grafana's datasource logs in with; created (or its password reset) by every
  // migrate when a password is given, left alone otherwise.
  CALLPIPE_GRAFANA_DB_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case Postgres role name: letters, digits and _, at most 63')
    .default('callpipe_grafana'),
  CALLPIPE_GRAFANA_DB_PASSWORD: z
    .string()
    .refine((value) => value === '' || value.length >= 12, 'at least 12 characters, or empty for no Grafana role')
    .default(''),
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
