import { z } from 'zod';
import { businesses, isTimeZone, type Business } from '@callpipe/events';
import { MAX_JOB_ATTEMPTS, redisUrlProblem } from '@callpipe/queue';
import {
  boundedInt,
  checkedString,
  coerceError,
  ConfigError,
  loadAppSecrets,
  logLevel,
  parseEnv,
  port,
  url,
  type AppSecrets,
} from '@callpipe/runtime';
import { queueUiModes } from './queue-ui.ts';
import { checkRecordingsEnv, recordingsEnvShape } from './recordings/env.ts';

/** `appKey=business,appKey=business`: each Huawei app has one fixed business, and CDRs of notify and verify look alike. */
const appBusinessMap = z
  .string()
  .default('')
  .transform((text, ctx): ReadonlyMap<string, Business> => {
    const map = new Map<string, Business>();
    for (const entry of text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [appKey, business, ...rest] = entry.split('=').map((part) => part.trim());
      if (!appKey || !business || rest.length > 0 || !(businesses as readonly string[]).includes(business)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" must look like appKey=${businesses.join('|')}` });
        return z.NEVER;
      }
      if (map.has(appKey) && map.get(appKey) !== business) {
        ctx.addIssue({ code: 'custom', message: `app key ${appKey} is mapped to two businesses` });
        return z.NEVER;
      }
      map.set(appKey, business as Business);
    }
    return map;
  });

/**
 * Daily partitions (see the README, "Postgres at volume"), shared with the `callpipe` command: how
 * far ahead they are created, and how many days of data are kept (0 = all of it).
 */
export const partitionEnvShape = {
  CALLPIPE_PARTITIONS_AHEAD_DAYS: boundedInt(1, 90, 7),
  CALLPIPE_RETENTION_DAYS: boundedInt(0, 36_500, 0).refine(
    (days) => days !== 1,
    "0 keeps everything; otherwise at least 2 (yesterday's partition is always kept)",
  ),
};

/**
 * Where the customer's books cut days and months (reconcile, rollups, export periods, the Calls
 * board); storage stays UTC. Shared with the `callpipe` command.
 */
export const billingEnvShape = {
  CALLPIPE_BILLING_TIME_ZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine(isTimeZone, 'must be an IANA time zone name such as Asia/Shanghai or UTC'),
};

export const workerEnvSchema = z
  .object({
    REDIS_URL: checkedString('redis://127.0.0.1:6379', redisUrlProblem),
    CALLPIPE_QUEUE_PREFIX: z
      .string()
      .regex(/^[\w{}:-]{1,64}$/, 'letters, digits, _ - : { } only, at most 64')
      .default('callpipe'),
    // Several queues (hash of the session id) spread the load over Redis Cluster slots; every ingest,
    // worker and the CLI must agree on the number.
    CALLPIPE_QUEUE_SHARDS: boundedInt(1, 64, 1),
    DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/callpipe'),
    CALLPIPE_APP_BUSINESS: appBusinessMap,
    // When set, phone numbers are stored as keyed hashes (h:<hex>) everywhere, raw payloads included.
    CALLPIPE_NUMBER_HASH_KEY: z.union([z.literal(''), z.string().min(16, 'use at least 16 characters')]).default(''),
    ...partitionEnvShape,
    ...billingEnvShape,
    // Throughput: jobs in flight, and how they are grouped into transactions.
    // A job holds one push, or up to INGEST_ENQUEUE_MAX_BATCH pushes taken together by an ingest.
    WORKER_CONCURRENCY: boundedInt(1, 5_000, 256),
    // Pushes per transaction: large transactions cost Postgres far less per push (see BENCHMARKS.md).
    WORKER_BATCH_MAX: boundedInt(1, 10_000, 1_000),
    WORKER_BATCH_WAIT_MS: boundedInt(0, 5_000, 20),
    WORKER_PARALLEL_BATCHES: boundedInt(1, 64, 2),
    WORKER_DB_POOL_SIZE: boundedInt(1, 200, 4),
    // Retries of failures that are not outages (outages wait without using attempts).
    WORKER_MAX_ATTEMPTS: boundedInt(1, MAX_JOB_ATTEMPTS, 8),
    WORKER_RETRY_BASE_MS: boundedInt(10, 60_000, 500),
    WORKER_RETRY_MAX_MS: boundedInt(100, 3_600_000, 60_000),
    // A job whose worker died is taken over once its lock expires; after WORKER_MAX_STALLS such
    // takeovers it is a dead letter (it probably crashes every worker that touches it).
    WORKER_LOCK_DURATION_MS: boundedInt(1_000, 600_000, 30_000),
    WORKER_STALLED_INTERVAL_MS: boundedInt(500, 600_000, 30_000),
    WORKER_MAX_STALLS: boundedInt(1, 100, 3),
    WORKER_ADMIN_HOST: z.string().min(1).default('0.0.0.0'),
    // Bull Board at /queues on the admin port.
    WORKER_QUEUE_UI: z.enum(queueUiModes).default('read-only'),
    WORKER_ADMIN_PORT: port(9092),
    WORKER_SHUTDOWN_DEADLINE_MS: boundedInt(1_000, 600_000, 25_000),
    // Call recordings (README, "Recordings"): off unless turned on.
    ...recordingsEnvShape,
    LOG_LEVEL: logLevel,
  })
  .superRefine((env, ctx) => {
    checkRecordingsEnv(env, ctx);
    if (env.WORKER_PARALLEL_BATCHES > env.WORKER_DB_POOL_SIZE) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_PARALLEL_BATCHES'],
        message: `must not exceed WORKER_DB_POOL_SIZE (${env.WORKER_DB_POOL_SIZE}): each batch holds a connection`,
      });
    }
    if (env.WORKER_RETRY_BASE_MS > env.WORKER_RETRY_MAX_MS) {
      ctx.addIssue({ code: 'custom', path: ['WORKER_RETRY_BASE_MS'], message: 'must not exceed WORKER_RETRY_MAX_MS' });
    }
  });

export type WorkerEnv = z.infer<typeof workerEnvSchema> & { appSecrets: AppSecrets };

export function parseWorkerEnv(env: NodeJS.ProcessEnv): WorkerEnv {
  const parsed = parseEnv(workerEnvSchema, env);
  return { ...parsed, appSecrets: readAppSecrets(parsed) };
}

/** The apps' secrets (the ingest's INGEST_APP_SECRETS/_FILE), read only when recordings are on. */
export function readAppSecrets(env: {
  CALLPIPE_RECORDINGS: 'off' | 'on';
  INGEST_APP_SECRETS: string;
  INGEST_APP_SECRETS_FILE: string;
}): AppSecrets {
  if (env.CALLPIPE_RECORDINGS === 'off') return new Map();
  let appSecrets: AppSecrets;
  try {
    appSecrets = loadAppSecrets(env.INGEST_APP_SECRETS, env.INGEST_APP_SECRETS_FILE);
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ${coerceError(error).message}`);
  }
  if (appSecrets.size === 0)
    throw new ConfigError(
      "invalid configuration:\n  INGEST_APP_SECRETS: CALLPIPE_RECORDINGS=on needs the apps' secrets (INGEST_APP_SECRETS or INGEST_APP_SECRETS_FILE) to sign calls to the platform",
    );
  return appSecrets;
}
