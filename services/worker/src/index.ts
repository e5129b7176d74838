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
