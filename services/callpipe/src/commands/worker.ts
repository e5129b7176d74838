import { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './context.ts';

export function workerCommand(ctx: CommandContext) {
  return new Command('worker').description('run the queue workers (Redis → Postgres) and their admin port').action(async () => {
    const { runWorker } = await import('../run/serve.ts');
    ctx.settle(await runWorker(ctx.env));
  });
}
