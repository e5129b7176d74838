import { z } from 'zod';
import { appSecretsEnvShape, boundedInt } from '@callpipe/runtime';

/** The platform's path of "GetRecordingDownloadUrl" (VoiceCall rtc_05_0011), under the app access address. */
export const DEFAULT_RECORDING_API_PATH = '/rest/provision/voice/record/v1.0';

const storeUrl = z
  .string()
  .default('')
  .refine(
    (value) => value === '' || /^file:\/\/\/./.test(value) || /^s3:\/\/[^/]+/.test(value),
    'must be file:///path or s3://bucket/prefix',
  );

/**
 * Copying the call recordings (README, "Recordings"), shared with `callpipe recordings`. The apps'
 * secrets are the ingest's variables: an app is configured once, for verifying its pushes and for
 * signing calls to the platform's API.
 */
export const recordingsEnvShape = {
  CALLPIPE_RECORDINGS: z.enum(['off', 'on']).default('off'),
  /** The app access address, e.g. https://rtcapi.cn-north-1.myhuaweicloud.com:12543. */
  CALLPIPE_HUAWEI_API_URL: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]).default(''),
  CALLPIPE_RECORDINGS_API_PATH: z
    .string()
    .regex(/^\/[\w\-./]*$/, 'must be a path starting with /')
    .default(DEFAULT_RECORDING_API_PATH),
  CALLPIPE_RECORDINGS_URL: storeUrl,
  /**
   * Whether a CDR's own recordFileDownloadUrl is fetched. Off by default: the URL comes from the push,
   * and an unsigned push could point the worker anywhere; the signed API gives the same file.
   */
  CALLPIPE_RECORDINGS_CDR_URLS: z.enum(['off', 'on']).default('off'),
  /** Downloads in flight per worker process. */
  CALLPIPE_RECORDINGS_CONCURRENCY: boundedInt(1, 64, 4),
  CALLPIPE_RECORDINGS_MAX_ATTEMPTS: boundedInt(1, 1_000, 12),
  CALLPIPE_RECORDINGS_RETRY_BASE_MS: boundedInt(10, 3_600_000, 30_000),
  CALLPIPE_RECORDINGS_RETRY_MAX_MS: boundedInt(100, 86_400_000, 3_600_000),
  /** Longest one download may take, headers to last byte. */
  CALLPIPE_RECORDINGS_TIMEOUT_MS: boundedInt(1_000, 3_600_000, 600_000),
  /** A body that sends nothing for this long is cut off (a stalled connection). */
  CALLPIPE_RECORDINGS_IDLE_TIMEOUT_MS: boundedInt(100, 600_000, 30_000),
  /** How often due tasks are looked for when none are known. */
  CALLPIPE_RECORDINGS_POLL_MS: boundedInt(50, 600_000, 5_000),
  /** A fetcher's hold on a task, renewed while it downloads; a crashed fetcher's tasks are due again after it. */
  CALLPIPE_RECORDINGS_LEASE_MS: boundedInt(1_000, 3_600_000, 60_000),
  ...appSecretsEnvShape,
};

type RecordingsEnvInput = { [K in keyof typeof recordingsEnvShape]: z.infer<(typeof recordingsEnvShape)[K]> };

/** Cross-field rules, for the schema's superRefine: `on` needs where to ask and where to keep. */
export function checkRecordingsEnv(env: RecordingsEnvInput, ctx: z.RefinementCtx): void {
  if (env.CALLPIPE_RECORDINGS === 'on') {
    if (env.CALLPIPE_HUAWEI_API_URL === '')
      ctx.addIssue({
        code: 'custom',
        path: ['CALLPIPE_HUAWEI_API_URL'],
        message: "CALLPIPE_RECORDINGS=on needs the platform's app access address",
      });
    if (env.CALLPIPE_RECORDINGS_URL === '')
      ctx.addIssue({
        code: 'custom',
        path: ['CALLPIPE_RECORDINGS_URL'],
        message: 'CALLPIPE_RECORDINGS=on needs a store: file:///path or s3://bucket/prefix',
      });
  }
  if (env.CALLPIPE_RECORDINGS_RETRY_BASE_MS > env.CALLPIPE_RECORDINGS_RETRY_MAX_MS)
    ctx.addIssue({
      code: 'custom',
      path: ['CALLPIPE_RECORDINGS_RETRY_BASE_MS'],
      message: 'must not exceed CALLPIPE_RECORDINGS_RETRY_MAX_MS',
    });
}
