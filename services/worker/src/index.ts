export { createWorkerService, type WorkerService } from './service.ts';
export { parseWorkerEnv, workerEnvSchema, type WorkerEnv } from './env.ts';
export { BatchWriter } from './batch-writer.ts';
