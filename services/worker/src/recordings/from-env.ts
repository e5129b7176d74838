import { summarizeRecordings, type Db } from '@callpipe/db';
import { createRecordingMetrics } from '@callpipe/metrics';
import { openObjectStore, type ObjectStore } from '@callpipe/object-store';
import type { AppSecrets, Logger } from '@callpipe/runtime';
import { archiveSettings, type archiveEnvShape } from '../env.ts';
import type { recordingsEnvShape } from './env.ts';
import { createRecordingFetcher, type RecordingFetcher } from './fetcher.ts';
import type { z } from 'zod';

type ShapeValues<Shape extends Record<string, z.ZodType>> = { [K in keyof Shape]: z.infer<Shape[K]> };

/** The recordings variables, and the S3 connection variables an `s3://` store shares with the archive. */
export type RecordingsEnv = ShapeValues<typeof recordingsEnvShape> &
  Partial<ShapeValues<typeof archiveEnvShape>> & {
    appSecrets: AppSecrets;
  };

/** The fetcher and its store as configured, or null when CALLPIPE_RECORDINGS is off. */
export function createRecordingsFromEnv(
  env: RecordingsEnv,
  db: Db,
  registry: Parameters<typeof createRecordingMetrics>[0] | null,
  logger: Logger,
): { fetcher: RecordingFetcher; store: ObjectStore } | null {
  if (env.CALLPIPE_RECORDINGS === 'off') return null;
  const store = openObjectStore(env.CALLPIPE_RECORDINGS_URL, archiveSettings(env).s3);
  const metrics = registry ? createRecordingMetrics(registry, () => summarizeRecordings(db)) : null;
  const fetcher = createRecordingFetcher({
    db,
    download: {
      store,
      apiUrl: env.CALLPIPE_HUAWEI_API_URL,
      apiPath: env.CALLPIPE_RECORDINGS_API_PATH,
      appSecrets: env.appSecrets,
      timeoutMs: env.CALLPIPE_RECORDINGS_TIMEOUT_MS,
      idleTimeoutMs: env.CALLPIPE_RECORDINGS_IDLE_TIMEOUT_MS,
      useCdrUrls: env.CALLPIPE_RECORDINGS_CDR_URLS === 'on',
    },
    policy: {
      maxAttempts: env.CALLPIPE_RECORDINGS_MAX_ATTEMPTS,
      retryBaseMs: env.CALLPIPE_RECORDINGS_RETRY_BASE_MS,
      retryMaxMs: env.CALLPIPE_RECORDINGS_RETRY_MAX_MS,
    },
    concurrency: env.CALLPIPE_RECORDINGS_CONCURRENCY,
    pollMs: env.CALLPIPE_RECORDINGS_POLL_MS,
    leaseMs: env.CALLPIPE_RECORDINGS_LEASE_MS,
    metrics,
    logger: logger.child({ component: 'recordings' }),
  });
  return { fetcher, store };
}
