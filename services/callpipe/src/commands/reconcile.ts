import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function reconcileCommand(ctx: CommandContext) {
  return new Command('reconcile')
    .description(
      prose(`Reconciles the stored calls with the platform's CDRs for a period, per app and billing day
(CALLPIPE_BILLING_TIME_ZONE): calls started and ended, CDRs received, calls ended without a CDR past the
horizon (the platform re-pushes a CDR 6 times, hourly; after that only Huawei support can re-send it),
CDRs without any status event, and calls whose status events and CDR disagree (answered or not; end
times more than 5 s apart; business). A call without its CDR has no app key (only the CDR names the
app), so it is listed under (unknown), and kept by --app-key.`),
    )
    .summary('calls without a CDR, CDRs without status events, disagreements; per app and billing day')
    .requiredOption(
      '--from <time>',
      'start, inclusive: a billing day (2026-12-01, in the billing time zone), a wall time (2026-12-01T08:00) or an instant with offset (2026-11-30T16:00:00Z)',
    )
    .requiredOption('--to <time>', 'end, exclusive, in the same forms')
    .option('--app-key <key>', "only this app's calls (and those whose app is not known yet)")
    .option(
      '--horizon <duration>',
      'how long after its call ended a CDR counts as missing, e.g. 7h, 90m (default 7h: six hourly re-pushes and a margin)',
    )
    .option('--format <format>', 'table (for people), csv (the missing CDRs, to send to support) or json (everything, one object)', 'table')
    .addHelpText('after', '\nExit code: 0 no CDR missing, 1 CDRs missing past the horizon (or a runtime failure), 2 usage error.')
    .action(async (flags, command) => {
      const { reconcile } = await import('../run/reconcile.ts');
      ctx.settle(await reconcile(command, flags, ctx.env, ctx.io));
    });
}
