import { z } from 'zod';
import { businesses, isTimeZone, type Business } from '@callpipe/events';
import { MAX_JOB_ATTEMPTS, redisUrlProblem } from '@callpipe/queue';
import { postgresUrlProblem } from '@callpipe/db';
import type { S3Settings } from '@callpipe/object-store';
import {
  boundedInt,
  checkedString,
  coerceError,
  ConfigError,
  duration,
  loadAppSecrets,
  logLevel,
  parseEnv,
  port,
  readableFromFile,
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

const archiveUrl = z
  .string()
  .default('')
  .refine((value) => {
    if (value === '') return true;
    try {
      const parsed = new URL(value);
      return (parsed.protocol === 'file:' && parsed.pathname.length > 1) || (parsed.protocol === 's3:' && parsed.hostname !== '');
    } catch {
      return false;
    }
  }, 'must be empty, file:///absolute/path or s3://bucket/prefix');

const optionalHttpUrl = z
  .string()
  .default('')
  .refine((value) => value === '' || /^https?:\/\/[^/]/.test(value), 'must be an http:// or https:// URL');

/**
 * The archive the retention writes each day to before dropping it (see the README, "Archive before
 * retention"), and the usual AWS variables for an `s3://` one. Shared with the `callpipe` command.
 */
export const archiveEnvShape = {
  CALLPIPE_ARCHIVE_URL: archiveUrl,
  // The S3-specific endpoint wins over the general one, as in the AWS SDKs and CLI.
  AWS_ENDPOINT_URL_S3: optionalHttpUrl,
  AWS_ENDPOINT_URL: optionalHttpUrl,
  AWS_REGION: z.string().min(1).default('us-east-1'),
  // Empty: the SDK's default chain (instance role, web identity, shared config).
  AWS_ACCESS_KEY_ID: z.string().default(''),
  AWS_SECRET_ACCESS_KEY: z.string().default(''),
  // auto: path-style addressing with a custom endpoint (MinIO, OBS, Ceph), virtual-hosted on AWS.
  CALLPIPE_ARCHIVE_S3_PATH_STYLE: z.enum(['auto', 'true', 'false']).default('auto'),
};

type ArchiveEnv = { [K in keyof typeof archiveEnvShape]: z.infer<(typeof archiveEnvShape)[K]> };

/** The archive's URL (null: none) and S3 settings from the parsed variables. */
export function archiveSettings(env: Partial<ArchiveEnv>): { url: string | null; s3: S3Settings } {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || '';
  return {
    url: env.CALLPIPE_ARCHIVE_URL || null,
    s3: {
      ...(endpoint ? { endpoint } : {}),
      region: env.AWS_REGION ?? 'us-east-1',
      ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
        : {}),
      forcePathStyle:
        (env.CALLPIPE_ARCHIVE_S3_PATH_STYLE ?? 'auto') === 'auto' ? endpoint !== '' : env.CALLPIPE_ARCHIVE_S3_PATH_STYLE === 'true',
    },
  };
}

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
    REDIS_URL: readableFromFile(checkedString('redis://127.0.0.1:6379', redisUrlProblem)),
    CALLPIPE_QUEUE_PREFIX: z
      .string()
      .regex(/^[\w{}:-]{1,64}$/, 'letters, digits, _ - : { } only, at most 64')
      .default('callpipe'),
    // Several queues (hash of the session id) spread the load over Redis Cluster slots; every ingest,
    // worker and the CLI must agree on the number.
    CALLPIPE_QUEUE_SHARDS: boundedInt(1, 64, 1),
    // Several hosts and target_session_attrs=read-write as libpq takes them, for a primary switch.
    DATABASE_URL: readableFromFile(checkedString('postgres://postgres@127.0.0.1:5432/callpipe', postgresUrlProblem)),
    CALLPIPE_APP_BUSINESS: appBusinessMap,
    // When set, phone numbers are stored as keyed hashes (h:<hex>) everywhere, raw payloads included.
    CALLPIPE_NUMBER_HASH_KEY: z.union([z.literal(''), z.string().min(16, 'use at least 16 characters')]).default(''),
    ...partitionEnvShape,
    ...archiveEnvShape,
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
    // callpipe_calls_missing_cdr counts calls ended longer ago than this without a CDR: the platform
    // re-pushes a CDR six times, hourly, so 7h; keep it equal to `callpipe reconcile --horizon`.
    WORKER_MISSING_CDR_HORIZON: duration('7h', 60_000, 31 * 86_400_000),
    WORKER_ADMIN_HOST: z.string().min(1).default('0.0.0.0'),
    // Bull Board at /queues on the admin port.
    WORKER_QUEUE_UI: z.enum(queueUiModes).default('read-only'),
    // Asked for by /queues as a bearer token or a basic-auth password (any user name); /metrics and
    // the probes stay open for scrapers and the orchestrator.
    WORKER_QUEUE_UI_TOKEN: readableFromFile(z.union([z.literal(''), z.string().min(16, 'use at least 16 characters')]).default('')),
    // Job data holds raw pushes (numbers are hashed later, by the worker): masked in the UI unless this is true.
    WORKER_QUEUE_UI_UNMASKED: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('false')
      .transform((value) => value === 'true'),
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
    if ((env.AWS_ACCESS_KEY_ID === '') !== (env.AWS_SECRET_ACCESS_KEY === '')) {
      ctx.addIssue({
        code: 'custom',
        path: [env.AWS_ACCESS_KEY_ID === '' ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'],
        message: 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together, or neither',
      });
    }
    if (env.WORKER_RETRY_BASE_MS > env.WORKER_RETRY_MAX_MS) {
      ctx.addIssue({ code: 'custom', path: ['WORKER_RETRY_BASE_MS'], message: 'must not exceed WORKER_RETRY_MAX_MS' });
    }
    // Read-only and masked, an open UI shows queue counts and masked pushes (the worker warns at
    // start); read-write or unmasked, anyone who reaches the port could delete jobs or read numbers.
    const open = env.WORKER_QUEUE_UI !== 'off' && env.WORKER_QUEUE_UI_TOKEN === '' && !isLoopbackHost(env.WORKER_ADMIN_HOST);
    if (open && (env.WORKER_QUEUE_UI === 'read-write' || env.WORKER_QUEUE_UI_UNMASKED)) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_QUEUE_UI_TOKEN'],
        message: `required when WORKER_QUEUE_UI is ${env.WORKER_QUEUE_UI}${env.WORKER_QUEUE_UI_UNMASKED ? ' with WORKER_QUEUE_UI_UNMASKED=true' : ''} and WORKER_ADMIN_HOST (${env.WORKER_ADMIN_HOST}) is not a loopback address`,
      });
    }
  });

/** Hosts only this machine can reach; anything else (0.0.0.0, a pod IP, a name) may be reached from elsewhere. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

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
