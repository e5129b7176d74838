import { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './context.ts';

export function startCommand(ctx: CommandContext) {
  return new Command('start')
    .description('migrate, then the worker and the ingest in one process (single-machine mode)')
    .action(async () => {
      const { runStart } = await import('../run/serve.ts');
      ctx.settle(await runStart(ctx.env));
    });
}
