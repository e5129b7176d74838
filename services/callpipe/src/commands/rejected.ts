import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function rejectedCommand(ctx: CommandContext) {
  const group = new Command('rejected')
    .description(
      prose(`Rejected pushes and CDR records, as kept in rejected_pushes: list them, show one, and readmit those
the current model accepts (an older, stricter model rejected them).`),
    )
    .summary('list, show or readmit rejected pushes and records');
  group
    .command('list')
    .description('the rejections, newest first, with a short preview whose phone numbers are masked')
    .summary('the rejections, newest first')
    .option('--code <code>', 'only this reason code, e.g. invalid_timestamp')
    .option('--since <iso-time>', 'received at or after this time, e.g. 2024-06-11T00:00:00Z')
    .option('--until <iso-time>', 'received before this time')
    .option('--limit <n>', 'at most this many rows (default 50)')
    .option('--json', 'one JSON object per row on stdout')
    .action(async (flags, command) => {
      const { rejectedList } = await import('../run/rejected.ts');
      ctx.settle(await rejectedList(command, flags, ctx.env, ctx.io));
    });
  group
    .command('show')
    .description(
      prose(`one rejection with its body decoded (bytes that are not UTF-8 replaced by U+FFFD, and the exact bytes
as base64 too) or its record; phone numbers masked unless --unmasked`),
    )
    .summary('one rejection, its body decoded, phone numbers masked')
    .argument('<id>', 'the id from `rejected list`')
    .option('--unmasked', 'show phone numbers as stored')
    .option('--json', 'the row as one JSON object on stdout')
    .addHelpText('after', '\nExit code: 0 shown, 1 no rejection has this id, 2 usage error.')
    .action(async (id, flags, command) => {
      const { rejectedShow } = await import('../run/rejected.ts');
      ctx.settle(await rejectedShow(command, id, flags, ctx.env, ctx.io));
    });
  group
    .command('readmit')
    .description(
      prose(`Runs the rejections not readmitted yet through the current model, with the worker's own parsing and
number protection (CALLPIPE_APP_BUSINESS, CALLPIPE_NUMBER_HASH_KEY), and stores those it accepts now, exactly
once: each becomes a delivery whose id derives from the rejection, at its original receive time, and its row is
marked readmitted in the same transaction. The others are left as they are, and counted per code.`),
    )
    .summary('store the rejections the current model accepts, exactly once')
    .option('--code <code>', 'only rejections of this reason code')
    .option('--since <iso-time>', 'received at or after this time')
    .option('--until <iso-time>', 'received before this time')
    .option('--dry-run', 'count what would be accepted, write nothing')
    .option('--json', 'the result as one JSON object on stdout')
    .option('--batch-size <n>', 'rejections per transaction (default 200)')
    .addHelpText('after', '\nExit code: 0 done (those still rejected are counted, not an error), 1 runtime failure, 2 usage error.')
    .action(async (flags, command) => {
      const { rejectedReadmit } = await import('../run/rejected.ts');
      ctx.settle(await rejectedReadmit(command, flags, ctx.env, ctx.io));
    });
  return group;
}
