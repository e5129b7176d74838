import { Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export function statusCommand(ctx: CommandContext) {
  return new Command('status')
    .description(
      prose(`Checks everything an operator is asked about, at once: Redis and Postgres (reachable, versions,
Redis's eviction policy), migrations applied and pending, daily partitions ahead and rows in DEFAULT,
queue depth and oldest waiting push per shard, dead letters, this machine's ingest spool (records
waiting, damaged and quarantined records), apps whose serviceType 001 CDRs get no business, and the
configuration (would the ingest and the worker start, unknown variables, an open queue UI).
Each check says ok, WARN or ACTION with what to do.`),
    )
    .summary('check Redis, Postgres, migrations, partitions, queues, dead letters, spool and configuration; exit 1 if action is needed')
    .option('--json', 'the report as one JSON object on stdout: {status, checkedAt, checks: [{name, status, detail, data}]}')
    .addHelpText(
      'after',
      '\nExit code: 0 nothing needs action (warnings included), 1 a check needs action or a runtime failure, 2 usage error.',
    )
    .action(async (flags) => {
      const { status } = await import('../run/status.ts');
      ctx.settle(await status(flags, ctx.env, ctx.io));
    });
}
