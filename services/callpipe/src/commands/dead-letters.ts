import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export type DeadLetterAction = 'list' | 'show' | 'retry' | 'remove';

/** What commander parsed, before the values are checked. */
export interface DeadLetterFlags {
  id?: string;
  all?: true;
  shard?: string;
  dryRun?: true;
  unmasked?: true;
  json?: true;
}

const SHARD = [
  '--shard <n>',
  'the queue shard, when the same job id is a dead letter in several (batch jobs are numbered per shard)',
] as const;

export function deadLettersCommand(ctx: CommandContext) {
  const group = new Command('dead-letters').description('show, re-queue or remove the jobs that failed for good, over every queue shard');
  const run = async (action: DeadLetterAction, command: CommandUnknownOpts, flags: DeadLetterFlags) => {
    const { deadLetters } = await import('../run/dead-letters.ts');
    ctx.settle(await deadLetters(action, command, flags, ctx.env, ctx.io));
  };
  group
    .command('list')
    .description('one JSON line per dead letter on stdout (job, shard, deliveries, attempts, reason); the count on stderr')
    .action((_flags, command) => run('list', command, {}));
  group
    .command('show')
    .description(
      prose(`One dead letter in full: its job, shard, attempts, timestamps, failure reason and stack trace, and
every push it holds with its body. Phone numbers are masked unless --unmasked.`),
    )
    .summary('one dead letter in full, numbers masked unless --unmasked')
    .argument('<id>', 'the job id, as `dead-letters list` prints it')
    .option(...SHARD)
    .option('--unmasked', 'show phone numbers as queued')
    .option('--json', 'the dead letter as one JSON object on stdout')
    .addHelpText('after', '\nExit code: 0 shown, 1 no dead letter with that id (or a runtime failure), 2 usage error.')
    .action((id, flags, command) => run('show', command, { ...flags, id }));
  group
    .command('retry')
    .description('move dead letters back to their queue: one (--id) or every one (--all)')
    .option('--id <id>', 'the job id, as `dead-letters list` prints it')
    .option('--all', 'every dead letter of every shard')
    .option(...SHARD)
    .option('--dry-run', 'say what would be moved, move nothing')
    .addHelpText(
      'after',
      '\nExit code: 0 done, 1 no dead letter with that id (or a runtime failure), 2 usage error (also: neither or both of --id and --all).',
    )
    .action((flags, command) => run('retry', command, flags));
  group
    .command('remove')
    .description(
      prose(`Deletes one dead letter for good (for a push that must never be stored). Its pushes are gone from the
queue; run \`dead-letters show\` first to keep what you need.`),
    )
    .summary('delete one dead letter for good')
    .requiredOption('--id <id>', 'the job id, as `dead-letters list` prints it')
    .option(...SHARD)
    .option('--dry-run', 'say what would be removed, remove nothing')
    .addHelpText('after', '\nExit code: 0 removed, 1 no dead letter with that id (or a runtime failure), 2 usage error.')
    .action((flags, command) => run('remove', command, flags));
  return group;
}
