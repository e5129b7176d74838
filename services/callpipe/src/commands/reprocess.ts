import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function reprocessCommand(ctx: CommandContext) {
  return new Command('reprocess')
    .description(
      prose(`Re-derives stored calls with the current model, for example after a normalization fix or with a
corrected CALLPIPE_APP_BUSINESS: every selected call's facts are rebuilt from its stored status event
payloads and its stored CDR record, and the calls row and the CDR's derived columns are rewritten.
Delivery counts, receive times and the raw payloads are left alone, so nothing is counted twice.
CDRs are rated again with the current tariffs (after \`callpipe tariffs set\`), and billing_daily follows.`),
    )
    .summary('re-derive stored calls and CDRs with the current model')
    .option('--from <iso-time>', 'calls whose start (or, without one, end) is at or after this time, e.g. 2024-06-11T00:00:00Z')
    .option('--to <iso-time>', 'calls whose start (or, without one, end) is before this time')
    .option('--app-key <key>', 'calls of this app key')
    .option('--business <business>', 'click2call, notify or verify (as stored now)')
    .option('--dry-run', 'count what would change, write nothing')
    .option('--json', 'the result as one JSON line on stdout')
    .option('--batch-size <n>', 'calls per transaction (default 500)')
    .addHelpText('after', '\nExit code: 0 done, 1 some calls could not be re-derived (their stored data is now rejected), 2 usage error.')
    .action(async (flags, command) => {
      const { reprocess } = await import('../run/reprocess.ts');
      ctx.settle(await reprocess(command, flags, ctx.env, ctx.io));
    });
}
