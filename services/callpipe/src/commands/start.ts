import { Command } from '@commander-js/extra-typings';
import { createIngestService, parseIngestEnv } from '@callpipe/ingest';
import { createLogger } from '@callpipe/runtime';
import { createWorkerService, parseWorkerEnv } from '@callpipe/worker';
import { parseMigrateEnv } from '../env.ts';
import type { CommandContext } from './context.ts';
import { runMigrate } from './migrate.ts';
import { serve } from './serve.ts';

export function startCommand(ctx: CommandContext) {
  return new Command('start')
    .description('migrate, then the worker and the ingest in one process (single-machine mode)')
    .action(async () => ctx.settle(await runStart(ctx.env)));
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
  );
}
