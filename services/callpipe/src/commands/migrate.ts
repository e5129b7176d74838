import { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './context.ts';

export function migrateCommand(ctx: CommandContext) {
  return new Command('migrate')
    .description('create the database if missing, apply migrations, refresh the code tables, create the daily partitions ahead')
    .action(async () => {
      const { migrate } = await import('../run/migrate.ts');
      ctx.settle(await migrate(ctx.env));
    });
}
