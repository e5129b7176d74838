import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function tariffsCommand(ctx: CommandContext) {
  const group = new Command('tariffs')
    .description(
      prose(`The tariffs every CDR is rated with: a price per started minute of one leg (call-out, or forwarded for
click-to-call) of an app key's or a business's calls, from an instant on. A CDR gets the tariff valid at its
call's time, the app key's before its business's; without one its costs are NULL.`),
    )
    .summary('list or set the tariffs CDRs are rated with');
  group
    .command('list')
    .description('every tariff, oldest first')
    .option('--json', 'one JSON object per tariff on stdout')
    .action(async (flags, command) => {
      const { tariffsList } = await import('../run/tariffs.ts');
      ctx.settle(await tariffsList(command, flags, ctx.env, ctx.io));
    });
  group
    .command('set')
    .description(
      prose(`Adds a tariff, or changes the price and currency of the one with the same app key or business, leg and
start. New CDRs are rated with it at once; stored CDRs keep their costs until \`callpipe reprocess\` re-rates
them (the command prints the reprocess to run).`),
    )
    .summary('add or change a tariff')
    .option('--app-key <key>', 'the calls of this app key (wins over a business tariff)')
    .option('--business <business>', 'the calls of this business: click2call, notify or verify')
    .option('--leg <leg>', 'call-out, or forwarded (click-to-call only)')
    .option('--price <amount>', 'per started minute, at most 6 decimals, e.g. 0.06')
    .option('--currency <code>', 'ISO 4217 code, e.g. CNY')
    .option('--valid-from <time>', 'from this day (in CALLPIPE_BILLING_TIME_ZONE), wall time, or instant with offset')
    .option('--json', 'the tariff as one JSON object on stdout')
    .addHelpText('after', '\nExit code: 0 set, 1 runtime failure, 2 usage error.')
    .action(async (flags, command) => {
      const { tariffsSet } = await import('../run/tariffs.ts');
      ctx.settle(await tariffsSet(command, flags, ctx.env, ctx.io));
    });
  return group;
}

export function rollupsCommand(ctx: CommandContext) {
  const group = new Command('rollups')
    .description('billing_daily, the per-day totals the Calls board and billing read')
    .summary('rebuild billing_daily from calls and cdrs');
  group
    .command('rebuild')
    .description(
      prose(`Recomputes billing_daily from scratch from calls and cdrs, in CALLPIPE_BILLING_TIME_ZONE: a repair, or
after changing the time zone. Writers wait while it runs. Days before the oldest call kept are left as they are
(retention deleted their calls; billing keeps their totals).`),
    )
    .option('--json', 'the result as one JSON object on stdout')
    .action(async (flags, command) => {
      const { rollupsRebuild } = await import('../run/tariffs.ts');
      ctx.settle(await rollupsRebuild(command, flags, ctx.env, ctx.io));
    });
  return group;
}
