import { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './context.ts';

export function ingestCommand(ctx: CommandContext) {
  return new Command('ingest')
    .description('run the push endpoint (HTTP → Redis, or the disk spool) and its admin port')
    .action(async () => {
      const { runIngest } = await import('../run/serve.ts');
      ctx.settle(await runIngest(ctx.env));
    });
}
