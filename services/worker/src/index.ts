export { createWorkerService, type WorkerService } from './service.ts';
export { parseWorkerEnv, partitionEnvShape, workerEnvSchema, type WorkerEnv } from './env.ts';
export { BatchWriter } from './batch-writer.ts';
