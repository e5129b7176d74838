import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export type ArchiveAction = 'list' | 'verify' | 'restore';

const WHERE = prose(`The archive is CALLPIPE_ARCHIVE_URL (file:///path or s3://bucket/prefix, with the AWS_* variables
for S3), where the retention writes each expired day before it drops it.`);

export function archiveCommand(ctx: CommandContext) {
  const group = new Command('archive').description('list, verify or restore the days the retention archived before dropping them');
  const run = async (action: ArchiveAction, command: CommandUnknownOpts, flags: { day?: string; json?: true }) => {
    const { archive } = await import('../run/archive.ts');
    ctx.settle(await archive(action, command, flags, ctx.env, ctx.io));
  };
  group
    .command('list')
    .summary('the archived days with their rows per table, bytes and status')
    .description(
      prose(`Lists every day in the archive, oldest first: complete (its manifest is there), incomplete (files without
a manifest: an archive that did not finish; the day was not dropped) or damaged, with the rows per
table as the manifest counts them.\n\n${WHERE}`),
    )
    .option('--json', 'the days as exactly one JSON value on stdout')
    .addHelpText('after', '\nExit code: 0 listed, 1 the archive could not be read or is not configured, 2 usage error.')
    .action((flags, command) => run('list', command, flags));
  group
    .command('verify')
    .summary("read every file back and check its bytes, SHA-256 and rows against the day's manifest")
    .description(
      prose(`Reads every file of a day (or of every day) back and compares its length, SHA-256 and row count with
the manifest; lists each mismatch by file.\n\n${WHERE}`),
    )
    .option('--day <YYYY-MM-DD>', 'only this day (default: every day in the archive)')
    .option('--json', 'the result as exactly one JSON value on stdout')
    .addHelpText(
      'after',
      '\nExit code: 0 every file verified, 1 a mismatch, a missing manifest, or the archive could not be read, 2 usage error.',
    )
    .action((flags, command) => run('verify', command, flags));
  group
    .command('restore')
    .summary("put a day's archived rows back exactly (recreating its partitions); twice changes nothing")
    .description(
      prose(`Verifies the day's archive, recreates its daily partitions if they were dropped and inserts every
archived row whose primary key is not in the table: a second restore, or one into a day that still
has rows, adds nothing twice. A restored day older than CALLPIPE_RETENTION_DAYS is archived and
dropped again by the next maintenance run; raise the retention first to keep it.\n\n${WHERE}`),
    )
    .requiredOption('--day <YYYY-MM-DD>', 'the day to restore')
    .option('--json', 'the result as exactly one JSON value on stdout')
    .addHelpText('after', '\nExit code: 0 restored, 1 the archive does not verify or could not be read, 2 usage error.')
    .action((flags, command) => run('restore', command, flags));
  return group;
}
