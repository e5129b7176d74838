import { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './context.ts';

export type DeadLetterAction = 'list' | 'retry';

export function deadLettersCommand(ctx: CommandContext) {
  const group = new Command('dead-letters').description('show or re-queue the jobs that failed for good, over every queue shard');
  const run = async (action: DeadLetterAction) => {
    const { deadLetters } = await import('../run/dead-letters.ts');
    ctx.settle(await deadLetters(action, ctx.env, ctx.io));
  };
  group
    .command('list')
    .description('one JSON line per dead letter on stdout (job, deliveries, attempts, reason); the count on stderr')
    .action(() => run('list'));
  group
    .command('retry')
    .description('move every dead letter back to its queue')
    .action(() => run('retry'));
  return group;
}
