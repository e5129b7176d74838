import { Command } from '@commander-js/extra-typings';
import { createIngestService, parseIngestEnv } from '@callpipe/ingest';
import { createLogger } from '@callpipe/runtime';
import type { CommandContext } from './context.ts';
import { serve } from './serve.ts';

export function ingestCommand(ctx: CommandContext) {
  return new Command('ingest')
    .description('run the push endpoint (HTTP → Redis, or the disk spool) and its admin port')
    .action(async () => ctx.settle(await runIngest(ctx.env)));
}

export async function runIngest(env: NodeJS.ProcessEnv): Promise<'keep-running'> {
  const config = parseIngestEnv(env);
  const logger = createLogger({ level: config.LOG_LEVEL, bindings: { service: 'ingest' } });
  return serve([createIngestService(config, logger)], config.INGEST_SHUTDOWN_DEADLINE_MS, logger);
}
