import { createIngestService, parseIngestEnv } from '@callpipe/ingest';
import { createLogger, installShutdown, type Logger } from '@callpipe/runtime';
import { createWorkerService, parseWorkerEnv } from '@callpipe/worker';
import { parseMigrateEnv } from '../env.ts';
import { runMigrate } from './migrate.ts';

interface Service {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  beginDraining(): void;
}

/** Starts the services in order and stops them in reverse: intake (ingest) stops first. */
async function serve(services: Service[], deadlineMs: number, logger: Logger): Promise<void> {
  const started: Service[] = [];
  const coordinator = installShutdown({
    logger,
    deadlineMs,
    onBegin: () => services.forEach((service) => service.beginDraining()),
    stop: async () => {
      for (const service of [...started].reverse()) await service.stop();
    },
  });
  try {
    for (const service of services) {
      await service.start();
      started.push(service);
    }
  } catch (error) {
    await coordinator.shutdown('start failed');
    throw error;
  }
}

export async function runIngest(env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseIngestEnv(env);
  const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'ingest' } });
  await serve([createIngestService(config, logger)], config.INGEST_SHUTDOWN_DEADLINE_MS, logger);
}

export async function runWorker(env: NodeJS.ProcessEnv): Promise<void> {
  const config = parseWorkerEnv(env);
  const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'worker' } });
  await serve([createWorkerService(config, logger)], config.WORKER_SHUTDOWN_DEADLINE_MS, logger);
}

/** Single-machine mode: migrate, then the worker and the ingest in one process. */
export async function runStart(env: NodeJS.ProcessEnv): Promise<void> {
  const migrateConfig = parseMigrateEnv(env);
  const ingestConfig = parseIngestEnv(env);
  const workerConfig = parseWorkerEnv(env);
  const logger = createLogger({ level: ingestConfig.LOG_LEVEL, bindings: { service: 'callpipe' } });
  await runMigrate(migrateConfig, logger);
  // The worker starts first so the ingest's first acked push has somewhere to go; on shutdown the
  // ingest stops first, then the worker drains what is in flight.
  await serve(
    [
      createWorkerService(workerConfig, logger.child({ service: 'worker' })),
      createIngestService(ingestConfig, logger.child({ service: 'ingest' })),
    ],
    Math.max(ingestConfig.INGEST_SHUTDOWN_DEADLINE_MS, workerConfig.WORKER_SHUTDOWN_DEADLINE_MS),
    logger,
  );
}
