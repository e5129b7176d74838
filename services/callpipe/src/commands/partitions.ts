import { Command } from '@commander-js/extra-typings';
import { usageError, type CommandContext } from './context.ts';

export type PartitionsAction = 'status' | 'maintain';

export function partitionsCommand(ctx: CommandContext) {
  const run = async (action: PartitionsAction) => {
    const { partitions } = await import('../run/partitions.ts');
    ctx.settle(await partitions(action, ctx.env, ctx.io.out));
  };
  const group = new Command('partitions').description(
    'list the daily partitions and the rows in DEFAULT partitions (status, the default), or maintain them now',
  );
  group
    .command('status')
    .description("each table's daily partitions with Postgres's row estimates, and the rows waiting in its DEFAULT partition")
    .action(() => run('status'));
  group
    .command('maintain')
    .description("the worker's hourly maintenance, now: create ahead, move DEFAULT rows, apply CALLPIPE_RETENTION_DAYS")
    .action(() => run('maintain'));
  // `callpipe partitions` alone is `partitions status`. An action of its own rather than commander's
  // isDefault, which would hand `partitions shuffle` to status as "too many arguments"; set after
  // the subcommands, which would otherwise inherit allowExcessArguments.
  group
    .allowExcessArguments()
    .action(async (_options, command) =>
      command.args.length > 0 ? usageError(command, `unknown command '${command.args[0]}'`) : run('status'),
    );
  return group;
}
