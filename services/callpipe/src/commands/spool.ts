import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export type SpoolAction = 'status' | 'verify';

const SAFETY = prose(`Reads the ingest's disk spool and checks the checksum of every record without changing anything: no
lock is taken and nothing is drained, so it is safe next to a running ingest.`);

export function spoolCommand(ctx: CommandContext) {
  const group = new Command('spool').description(
    "show or check the ingest's disk spool (segments, records, damage, quarantine, lock) without changing it",
  );
  const subcommand = (action: SpoolAction, summary: string, description: string, exitCodes: string) =>
    group
      .command(action)
      .description(prose(`${description}\n\n${SAFETY}`))
      .summary(summary)
      .option('--dir <path>', "the spool directory (default: the ingest's INGEST_SPOOL_DIR, var/spool)")
      .option('--json', 'the report as exactly one JSON value on stdout')
      .addHelpText('after', `\nExit code: ${exitCodes}`)
      .action(async (flags, command) => {
        const { spool } = await import('../run/spool.ts');
        ctx.settle(await spool(action, command, flags, ctx.env, ctx.io));
      });
  subcommand(
    'status',
    'segments with their records, bytes and oldest record; totals, quarantined files, the lock holder',
    prose(`Lists the spool's segments (name, format, good records, bytes, oldest record, damage), the totals,
the files kept in quarantine/ by earlier drains and the process holding the spool's lock.`),
    '0 the spool was read (whatever it holds), 1 it could not be read, 2 usage error (also: the directory does not exist).',
  );
  subcommand(
    'verify',
    'check every record; list damaged records and torn tails; exit 1 if any record is damaged or quarantined',
    prose(`Lists every damaged record (a drain would move it to quarantine/: most likely an acked push) and
every torn tail (an incomplete last write: never acked, a drain skips it; in the newest segment of a
running ingest it can be a write in progress).`),
    '0 clean (torn tails alone are clean), 1 a damaged record or a quarantined file exists, or the spool could not be read, 2 usage error (also: the directory does not exist).',
  );
  return group;
}
