import { Command } from '@commander-js/extra-typings';
import { usageError, type CommandContext } from './context.ts';

export function migrateCommand(ctx: CommandContext) {
  const group = new Command('migrate').description(
    'create the database if missing, apply migrations, refresh the code tables, create the daily partitions ahead; `migrate status` only reports',
  );
  group
    .command('status')
    .description('the migrations applied (with when) and pending, changing nothing')
    .option('--json', 'one JSON object on stdout: {database, applied: [{name, executedAt}], pending, unknown}')
    .addHelpText(
      'after',
      '\nExit code: 0 none pending, 1 migrations pending (or the database is missing, or a runtime failure), 2 usage error.',
    )
    .action(async (flags) => {
      const { migrateStatus } = await import('../run/migrate-status.ts');
      ctx.settle(await migrateStatus(flags, ctx.env, ctx.io));
    });
  // `callpipe migrate` alone migrates. An action of its own, set after the subcommand (which would
  // otherwise inherit allowExcessArguments), so that `migrate now` is refused rather than ignored.
  group.allowExcessArguments().action(async (_options, command) => {
    if (command.args.length > 0)
      return usageError(command, `too many arguments for 'migrate'. Expected 0 arguments but got ${command.args.length}.`);
    const { migrate } = await import('../run/migrate.ts');
    ctx.settle(await migrate(ctx.env));
  });
  return group;
}
