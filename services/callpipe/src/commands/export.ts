import { Argument, Command } from '@commander-js/extra-typings';
import { prose, type CommandContext } from './context.ts';

export const exportDatasets = ['cdrs', 'calls', 'events'] as const;
export const exportFormats = ['csv', 'ndjson', 'parquet'] as const;

export function exportCommand(ctx: CommandContext) {
  return new Command('export')
    .description(
      prose(`Writes one table's rows of a period, streamed: cdrs by callEndTime, calls by started_at, events by
their event time. Days and wall times without an offset are in CALLPIPE_BILLING_TIME_ZONE (the
customer's books); --from is inclusive, --to exclusive.

cdrs as csv or ndjson are the FeeInfo records as received (field names and values), which
callpipe replay reads back; calls and events as csv or ndjson are the table columns (snake_case,
times ISO-8601 UTC). parquet is the table columns, typed (timestamps as UTC instants), for DuckDB,
ClickHouse or pandas.`),
    )
    .summary('export cdrs, calls or events of a period as csv, ndjson or parquet')
    .addArgument(new Argument('<table>', 'what to export').choices(exportDatasets))
    .requiredOption(
      '--from <time>',
      'start, inclusive: a day (2026-12-01), a wall time (2026-12-01T08:30) or an instant with offset (2026-11-30T16:00:00Z)',
    )
    .requiredOption('--to <time>', 'end, exclusive, in the same forms')
    .option('--app-key <key>', 'rows of this app key (events: of calls of this app key)')
    .option('--business <business>', 'click2call, notify or verify (as stored)')
    .option('--format <format>', 'csv, ndjson or parquet (default: from the --out name, else csv)')
    .option('--gzip', 'gzip the csv or ndjson (implied by an --out name ending in .gz)')
    .option('--out <file>', 'the file to write (replaced when complete), or - for standard output (the default)')
    .option('--json', 'the summary as one JSON line on stdout (needs --out FILE, so that stdout holds nothing else)')
    .addHelpText('after', '\nExit code: 0 done, 1 runtime failure (no file is left behind), 2 usage error.')
    .action(async (table, flags, command) => {
      const { exportTable } = await import('../run/export.ts');
      ctx.settle(await exportTable(command, table, flags, ctx.env, ctx.io));
    });
}
