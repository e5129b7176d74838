import { createIngestService, parseIngestEnv } from '@callpipe/ingest';
import { createLogger, describeUnknownVariable, installCrashHandlers, installShutdown, type Logger } from '@callpipe/runtime';
import { createWorkerService, parseWorkerEnv } from '@callpipe/worker';
import { parseMigrateEnv, unknownCallpipeVariables } from '../env.ts';
import { runMigrate } from './migrate.ts';

export interface Service {
  start(): Promise<unknown>;
  stop(): Promise<void>;
  beginDraining(): void;
}

/**
 * Starts the services in order and stops them in reverse: intake (ingest) stops first. Resolves once
 * they run; from then on the shutdown coordinator owns the process and exits it.
 */
export async function serve(services: Service[], deadlineMs: number, logger: Logger, env: NodeJS.ProcessEnv): Promise<'keep-running'> {
  // A typo'd variable is otherwise a setting that silently did not work.
  for (const variable of unknownCallpipeVariables(env))
    logger.warn(describeUnknownVariable(variable), { variable: variable.name, suggestion: variable.suggestion });
  // A crash of a long-running service is logged masked (numbers in messages and stacks) before it exits.
  installCrashHandlers(logger);
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
  return 'keep-running';
}

export async function runIngest(env: NodeJS.ProcessEnv): Promise<'keep-running'> {
  const config = parseIngestEnv(env);
  const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'ingest' } });
  return serve([createIngestService(config, logger)], config.INGEST_SHUTDOWN_DEADLINE_MS, logger, env);
}

export async function runWorker(env: NodeJS.ProcessEnv): Promise<'keep-running'> {
  const config = parseWorkerEnv(env);
  const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'worker' } });
  return serve([createWorkerService(config, logger)], config.WORKER_SHUTDOWN_DEADLINE_MS, logger, env);
}

/** Single-machine mode: migrate, then the worker and the ingest in one process. */
export async function runStart(env: NodeJS.ProcessEnv): Promise<'keep-running'> {
  const migrateConfig = parseMigrateEnv(env);
  const ingestConfig = parseIngestEnv(env);
  const workerConfig = parseWorkerEnv(env);
  const logger = createLogger({ level: ingestConfig.LOG_LEVEL, bindings: { service: 'callpipe' } });
  await runMigrate(migrateConfig, logger);
  // The worker starts first so the ingest's first acked push has somewhere to go; on shutdown the
  // ingest stops first, then the worker drains what is in flight.
  return serve(
    [
      createWorkerService(workerConfig, logger.child({ service: 'worker' })),
      createIngestService(ingestConfig, logger.child({ service: 'ingest' })),
    ],
    Math.max(ingestConfig.INGEST_SHUTDOWN_DEADLINE_MS, workerConfig.WORKER_SHUTDOWN_DEADLINE_MS),
    logger,
    env,
  );
}
