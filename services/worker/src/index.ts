export { createWorkerService, type WorkerService } from './service.ts';
export {
  archiveEnvShape,
  archiveSettings,
  isLoopbackHost,
  parseWorkerEnv,
  partitionEnvShape,
  billingEnvShape,
  workerEnvSchema,
  type WorkerEnv,
} from './env.ts';
export { BatchWriter } from './batch-writer.ts';
export {
  readmitDeliveryId,
  readmitRejected,
  readmitVerdict,
  type ReadmitOptions,
  type ReadmitResult,
  type ReadmitVerdict,
} from './readmit.ts';
export { recordingsEnvShape, checkRecordingsEnv, DEFAULT_RECORDING_API_PATH } from './recordings/env.ts';
export { readAppSecrets } from './env.ts';
export { createRecordingsFromEnv, type RecordingsEnv } from './recordings/from-env.ts';
export { createRecordingFetcher, type FetchOutcome, type RecordingFetcher } from './recordings/fetcher.ts';
export { recordingKey } from './recordings/download.ts';
