import { summarizeRecordings, type Db } from '@callpipe/db';
import { createRecordingMetrics } from '@callpipe/metrics';
import { openObjectStore, type ObjectStore } from '@callpipe/object-store';
import type { AppSecrets, Logger } from '@callpipe/runtime';
import type { recordingsEnvShape } from './env.ts';
import { createRecordingFetcher, type RecordingFetcher } from './fetcher.ts';
import type { z } from 'zod';

export type RecordingsEnv = { [K in keyof typeof recordingsEnvShape]: z.infer<(typeof recordingsEnvShape)[K]> } & {
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
  const store = openObjectStore(env.CALLPIPE_RECORDINGS_URL);
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
