import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import { businesses } from '@callpipe/events';
import { reprocessCalls, type ReprocessFilter, type ReprocessResult } from '@callpipe/replay';
import { checkOptions, type CliIo, type Outcome } from '../commands/context.ts';
import { withCommandDatabase } from './database.ts';
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

/** What commander parsed, before the values are checked. */
export interface ReprocessFlags {
  from?: string;
  to?: string;
  appKey?: string;
  business?: string;
  dryRun?: true;
  json?: true;
  batchSize?: string;
}

export async function reprocess(command: CommandUnknownOpts, flags: ReprocessFlags, env: NodeJS.ProcessEnv, io: CliIo): Promise<Outcome> {
  const { batchSize, ...filter } = checkOptions(command, optionsSchema, flags);
  const options = { filter, batchSize, dryRun: flags.dryRun === true, json: flags.json === true };
  return runReprocess(options, parseReplayEnv(env), io);
}

/** `callpipe reprocess`: stored calls re-derived with today's model. */
export async function runReprocess(options: ReprocessOptions, config: ReplayEnv, io: Pick<CliIo, 'out' | 'err'>): Promise<number> {
  return withCommandDatabase(config.DATABASE_URL, 'reprocess', async (db) => {
    let lastReport = performance.now();
    const result = await reprocessCalls(db, options.filter, {
      businessByAppKey: config.CALLPIPE_APP_BUSINESS,
      billingTimeZone: config.CALLPIPE_BILLING_TIME_ZONE,
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
  });
}

function describeResult(result: ReprocessResult): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  const columns = Object.entries(result.changedColumns)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([column, count]) => `${column} ${n(count)}`);
  return [
    `${result.dryRun ? 'reprocess (dry run, nothing written)' : 'reprocess'}: ${n(result.callsExamined)} calls examined, ${n(result.callsChanged)} ${result.dryRun ? 'would change' : 'changed'}; ${n(result.cdrsExamined)} CDRs examined, ${n(result.cdrsChanged)} ${result.dryRun ? 'would change' : 'changed'}; ${n(result.eventsExamined)} status events examined, ${n(result.eventsChanged)} ${result.dryRun ? 'would change' : 'changed'}; ${result.elapsedSeconds.toFixed(1)} s`,
    ...(columns.length > 0 ? [`  changed columns: ${columns.join(', ')}`] : []),
    ...(result.unreadable > 0
      ? [
          `  ${n(result.unreadable)} calls left as they are, their stored data is now rejected:`,
          ...result.unreadableExamples.map((example) => `    ${example.sessionId}: ${example.reason}`),
        ]
      : []),
  ];
}
