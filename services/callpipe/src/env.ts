import { z } from 'zod';
import { redisUrlProblem } from '@callpipe/queue';
import { ingestEnvSchema } from '@callpipe/ingest';
import { archiveEnvShape, billingEnvShape, partitionEnvShape, workerEnvSchema } from '@callpipe/worker';
import { postgresUrlProblem } from '@callpipe/db';
import { boundedInt, checkedString, logLevel, parseEnv, readableFromFile, unknownVariables } from '@callpipe/runtime';

export const migrateEnvSchema = z.object({
  // Several hosts and target_session_attrs=read-write as libpq takes them, for a primary switch.
  DATABASE_URL: readableFromFile(checkedString('postgres://postgres@127.0.0.1:5432/callpipe', postgresUrlProblem)),
  // migrate and `partitions maintain` keep the daily partitions as the worker does.
  ...partitionEnvShape,
  // ...and archive expired days where the worker does before dropping them; `archive` reads it.
  ...archiveEnvShape,
  // `archive restore` gives restored calls their billing contributions in the books' time zone.
  ...billingEnvShape,
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
  REDIS_URL: readableFromFile(checkedString('redis://127.0.0.1:6379', redisUrlProblem)),
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

/**
 * Every env schema of every service and command: what "a variable callpipe reads" means when a
 * process warns about unknown ones. One ConfigMap usually feeds all of them, so an ingest must not
 * call a worker's variable unknown. A command with its own schema adds it here.
 */
export const knownEnvSchemas = [ingestEnvSchema, workerEnvSchema, migrateEnvSchema, queueAdminEnvSchema];
/** Read by infra/local's bootstrap scripts and the test kit, not by a service. */
export const scriptVariables = [
  'CALLPIPE_LOCAL_PG_PORT',
  'CALLPIPE_LOCAL_REDIS_PORT',
  'CALLPIPE_NODE_VERSION',
  'CALLPIPE_PNPM_VERSION',
  'CALLPIPE_TOOLCHAIN_DIR',
  'CALLPIPE_LEAK_FIXTURE',
];

export const unknownCallpipeVariables = (env: NodeJS.ProcessEnv) => unknownVariables(env, knownEnvSchemas, scriptVariables);
