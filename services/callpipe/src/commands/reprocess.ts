import { Command } from '@commander-js/extra-typings';
import { z } from 'zod';
import { createDatabase } from '@callpipe/db';
import { businesses } from '@callpipe/events';
import { reprocessCalls, type ReprocessFilter, type ReprocessResult } from '@callpipe/replay';
import type { CliIo, CommandContext } from './context.ts';
import { checkOptions, prose } from './context.ts';
import { parseReplayEnv, type ReplayEnv } from './replay.ts';

const instant = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO time, e.g. 2024-06-11T00:00:00Z')
  .transform((value) => new Date(value).toISOString());

const optionsSchema = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    appKey: z.string().min(1).optional(),
    business: z.enum(businesses).optional(),
    batchSize: z.coerce.number().int().min(1).max(5_000).default(500),
  })
  .refine((options) => !options.from || !options.to || options.from < options.to, {
    message: '--from must be before --to',
    path: ['from'],
  });

export interface ReprocessOptions {
  filter: ReprocessFilter;
  dryRun: boolean;
  json: boolean;
  batchSize: number;
}

export function reprocessCommand(ctx: CommandContext) {
  return new Command('reprocess')
    .description(
      prose(`Re-derives stored calls with the current model, for example after a normalization fix or with a
corrected CALLPIPE_APP_BUSINESS: every selected call's facts are rebuilt from its stored status event
payloads and its stored CDR record, and the calls row and the CDR's derived columns are rewritten.
Delivery counts, receive times and the raw payloads are left alone, so nothing is counted twice.`),
    )
    .summary('re-derive stored calls and CDRs with the current model')
    .option('--from <iso-time>', 'calls whose start (or, without one, end) is at or after this time, e.g. 2024-06-11T00:00:00Z')
    .option('--to <iso-time>', 'calls whose start (or, without one, end) is before this time')
    .option('--app-key <key>', 'calls of this app key')
    .option('--business <business>', `${businesses.join(', ')} (as stored now)`)
    .option('--dry-run', 'count what would change, write nothing')
    .option('--json', 'the result as one JSON line on stdout')
    .option('--batch-size <n>', 'calls per transaction (default 500)')
    .addHelpText('after', '\nExit code: 0 done, 1 some calls could not be re-derived (their stored data is now refused), 2 usage error.')
    .action(async (values, command) => {
      const { batchSize, ...filter } = checkOptions(command, optionsSchema, values);
      const options = { filter, batchSize, dryRun: values.dryRun === true, json: values.json === true };
      ctx.settle(await runReprocess(options, parseReplayEnv(ctx.env), ctx.io));
    });
}

/** `callpipe reprocess`: stored calls re-derived with today's model. */
export async function runReprocess(options: ReprocessOptions, config: ReplayEnv, io: Pick<CliIo, 'out' | 'err'>): Promise<number> {
  const db = createDatabase({
    connectionString: config.DATABASE_URL,
    poolSize: 1,
    applicationName: 'callpipe-reprocess',
    statementTimeoutMs: 120_000,
  });
  try {
    let lastReport = performance.now();
    const result = await reprocessCalls(db, options.filter, {
      businessByAppKey: config.CALLPIPE_APP_BUSINESS,
      dryRun: options.dryRun,
      batchSize: options.batchSize,
      onProgress: (progress) => {
        if (options.json || performance.now() - lastReport < 10_000) return;
        lastReport = performance.now();
        io.err(
          `  ${progress.callsExamined.toLocaleString('en-US')} calls examined, ${progress.callsChanged.toLocaleString('en-US')} changed so far\n`,
        );
      },
    });
    if (options.json) io.out(JSON.stringify(result));
    else for (const line of describeResult(result)) io.out(line);
    return result.unreadable > 0 ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

function describeResult(result: ReprocessResult): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  const columns = Object.entries(result.changedColumns)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([column, count]) => `${column} ${n(count)}`);
  return [
    `${result.dryRun ? 'reprocess (dry run, nothing written)' : 'reprocess'}: ${n(result.callsExamined)} calls examined, ${n(result.callsChanged)} ${result.dryRun ? 'would change' : 'changed'}; ${n(result.cdrsExamined)} CDRs examined, ${n(result.cdrsChanged)} ${result.dryRun ? 'would change' : 'changed'}; ${result.elapsedSeconds.toFixed(1)} s`,
    ...(columns.length > 0 ? [`  changed columns: ${columns.join(', ')}`] : []),
    ...(result.unreadable > 0
      ? [
          `  ${n(result.unreadable)} calls left as they are, their stored data is now refused:`,
          ...result.unreadableExamples.map((example) => `    ${example.sessionId}: ${example.reason}`),
        ]
      : []),
  ];
}
