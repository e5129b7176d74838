import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { redisUrlProblem } from '@callpipe/queue';
import {
  appSecretsEnvShape,
  boundedInt,
  checkedString,
  coerceError,
  ConfigError,
  errorCode,
  loadAppSecrets,
  logLevel,
  parseEnv,
  port,
  readableFromFile,
  type AppSecrets,
} from '@callpipe/runtime';
import { signatureModes } from './security/signature-gate.ts';
import { parseCidrList } from './security/source-address.ts';

const cidrList = z
  .string()
  .default('')
  .transform((text, ctx) => {
    try {
      return parseCidrList(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: coerceError(error).message });
      return z.NEVER;
    }
  });

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
  REDIS_URL: readableFromFile(checkedString('redis://127.0.0.1:6379', redisUrlProblem)),
  CALLPIPE_QUEUE_PREFIX: z
    .string()
    .regex(/^[\w{}:-]{1,64}$/, 'letters, digits, _ - : { } only, at most 64')
    .default('callpipe'),
  // Several queues (hash of the session id) spread the load over Redis Cluster slots; every ingest,
  // worker and the CLI must agree on the number.
  CALLPIPE_QUEUE_SHARDS: boundedInt(1, 64, 1),
  INGEST_ENQUEUE_TIMEOUT_MS: boundedInt(50, 30_000, 2_000),
  // Redis replicas that must have a push (WAIT) before it is acked from Redis; otherwise it is
  // spooled. 0 = off. Closes the window in which a crashing master loses acked pushes.
  INGEST_REDIS_WAIT_REPLICAS: boundedInt(0, 16, 0),
  INGEST_REDIS_WAIT_TIMEOUT_MS: boundedInt(10, 30_000, 500),
  INGEST_ENQUEUE_MAX_BATCH: boundedInt(1, 5_000, 100),
  // Local durable spool for pushes Redis cannot take (one directory per ingest process, on a persistent disk)
  INGEST_SPOOL_DIR: z.string().min(1).default('var/spool'),
  INGEST_SPOOL_MAX_BYTES: boundedInt(1_024, Number.MAX_SAFE_INTEGER, 1_073_741_824),
  INGEST_SPOOL_DRAIN_INTERVAL_MS: boundedInt(50, 60_000, 500),
  // Security (README: "Securing the push endpoint")
  INGEST_SIGNATURE_MODE: z.enum(signatureModes).default('off'),
  ...appSecretsEnvShape,
  INGEST_SIGNATURE_URL: z.union([z.literal(''), z.url()]).default(''),
  INGEST_SIGNATURE_MAX_SKEW_SECONDS: boundedInt(1, 86_400, 300),
  INGEST_SIGNATURE_CREATED_ZONES: z.enum(['utc', 'utc_or_beijing']).default('utc_or_beijing'),
  INGEST_ALLOWED_SOURCES: cidrList,
  INGEST_TRUSTED_PROXIES: cidrList,
  INGEST_PATH_SECRET: z
    .string()
    .regex(/^[\w-]{0,128}$/, 'letters, digits, _ and - only')
    .default(''),
  INGEST_TLS_CERT_FILE: z.string().default(''),
  INGEST_TLS_KEY_FILE: z.string().default(''),
  // Process
  INGEST_SHUTDOWN_DEADLINE_MS: boundedInt(1_000, 600_000, 25_000),
  LOG_LEVEL: logLevel,
});

export type IngestEnv = z.infer<typeof ingestEnvSchema> & {
  appSecrets: AppSecrets;
  tls: { cert: Buffer; key: Buffer } | null;
};

/** Parses and validates once; secrets and certificates are read here, so a bad file stops the start. */
export function parseIngestEnv(env: NodeJS.ProcessEnv): IngestEnv {
  const parsed = parseEnv(
    ingestEnvSchema.superRefine((config, ctx) => {
      if ((config.INGEST_TLS_CERT_FILE === '') !== (config.INGEST_TLS_KEY_FILE === '')) {
        ctx.addIssue({
          code: 'custom',
          path: ['INGEST_TLS_CERT_FILE'],
          message: 'set both INGEST_TLS_CERT_FILE and INGEST_TLS_KEY_FILE, or neither',
        });
      }
      if (config.INGEST_REDIS_WAIT_REPLICAS > 0 && config.INGEST_REDIS_WAIT_TIMEOUT_MS >= config.INGEST_ENQUEUE_TIMEOUT_MS) {
        ctx.addIssue({
          code: 'custom',
          path: ['INGEST_REDIS_WAIT_TIMEOUT_MS'],
          message: `must be below INGEST_ENQUEUE_TIMEOUT_MS (${config.INGEST_ENQUEUE_TIMEOUT_MS}): the write and the wait share that budget`,
        });
      }
    }),
    env,
  );
  let appSecrets: AppSecrets;
  try {
    appSecrets = loadAppSecrets(parsed.INGEST_APP_SECRETS, parsed.INGEST_APP_SECRETS_FILE);
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ${coerceError(error).message}`);
  }
  if (parsed.INGEST_SIGNATURE_MODE !== 'off' && appSecrets.size === 0) {
    throw new ConfigError(
      `invalid configuration:\n  INGEST_SIGNATURE_MODE: ${parsed.INGEST_SIGNATURE_MODE} needs at least one app in INGEST_APP_SECRETS or INGEST_APP_SECRETS_FILE`,
    );
  }
  let tls: IngestEnv['tls'] = null;
  if (parsed.INGEST_TLS_CERT_FILE) {
    try {
      tls = { cert: readFileSync(parsed.INGEST_TLS_CERT_FILE), key: readFileSync(parsed.INGEST_TLS_KEY_FILE) };
    } catch (error) {
      throw new ConfigError(`invalid configuration:\n  INGEST_TLS_CERT_FILE/INGEST_TLS_KEY_FILE: ${errorCode(error) ?? 'unreadable'}`);
    }
  }
  return { ...parsed, appSecrets, tls };
}
