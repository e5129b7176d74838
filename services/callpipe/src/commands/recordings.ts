import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function recordingsCommand(ctx: CommandContext) {
  const group = new Command('recordings').description(
    prose(`show or fetch the call recordings callpipe copies from the platform before it deletes them (7 days
after the CDR push); see README.md, "Recordings"`),
  );
  group
    .command('status')
    .summary('recordings by status, the next deadline, per day, and the latest failures')
    .description(
      prose(`Counts the recordings by status (pending, stored, failed, expired, unavailable), says how old the
oldest pending one is and how long until the first pending one is deleted by the platform, lists the
last 8 days (UTC, by the CDR's first receipt) and the latest failed or expired ones with their reasons.
Reads only DATABASE_URL.`),
    )
    .option('--json', 'the report as exactly one JSON value on stdout')
    .addHelpText('after', '\nExit code: 0 read, 1 the database could not be read, 2 usage error.')
    .action(async (flags) => {
      const { recordingsStatus } = await import('../run/recordings.ts');
      ctx.settle(await recordingsStatus(flags, ctx.env, ctx.io));
    });
  group
    .command('fetch')
    .summary('fetch recordings now: create missing tasks, retry failed ones, download in this process')
    .description(
      prose(`A backfill, for example after turning recordings on or fixing an app's secret: creates the tasks of
recorded CDRs that have none (CDRs stored before recordings existed), makes failed tasks pending again,
and downloads every pending task whose deadline has not passed, here and now, with the worker's
configuration (CALLPIPE_HUAWEI_API_URL, CALLPIPE_RECORDINGS_URL, INGEST_APP_SECRETS, and the
CALLPIPE_RECORDINGS_* limits), whether or not CALLPIPE_RECORDINGS is on. Safe beside running workers:
tasks are claimed under the same leases.`),
    )
    .option('--session-id <id>', "only this call's recording")
    .option('--since <iso-time>', 'only recordings whose CDR was first received at or after this time, e.g. 2026-12-01T00:00:00Z')
    .option('--dry-run', 'say what would be created and fetched; change nothing, download nothing')
    .option('--json', 'the result as one JSON line on stdout')
    .addHelpText(
      'after',
      '\nExit code: 0 every fetched recording is stored or has none (unavailable), 1 some failed, will be retried or expired, or a runtime failure, 2 usage error.',
    )
    .action(async (flags, command) => {
      const { recordingsFetch } = await import('../run/recordings.ts');
      ctx.settle(await recordingsFetch(command, flags, ctx.env, ctx.io));
    });
  return group;
}
