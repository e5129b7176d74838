import { Command } from '@commander-js/extra-typings';
import { createLogger } from '@callpipe/runtime';
import { createWorkerService, parseWorkerEnv } from '@callpipe/worker';
import type { CommandContext } from './context.ts';
import { serve } from './serve.ts';

export function workerCommand(ctx: CommandContext) {
  return new Command('worker')
    .description('run the queue workers (Redis → Postgres) and their admin port')
    .action(async () => ctx.settle(await runWorker(ctx.env)));
}

export async function runWorker(env: NodeJS.ProcessEnv): Promise<'keep-running'> {
  const config = parseWorkerEnv(env);
  const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'worker' } });
  return serve([createWorkerService(config, logger)], config.WORKER_SHUTDOWN_DEADLINE_MS, logger);
}
