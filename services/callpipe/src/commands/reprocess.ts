import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDatabase } from '@callpipe/db';
import { businesses } from '@callpipe/events';
import { reprocessCalls, type ReprocessResult } from '@callpipe/replay';
import type { ReplayEnv } from './replay.ts';

export const REPROCESS_USAGE = `usage: pnpm callpipe reprocess [--from ISO_TIME] [--to ISO_TIME] [--app-key KEY] [--business B]
                           [--dry-run] [--json] [--batch-size N]

Re-derives stored calls with the current model, for example after a normalization fix or with a
corrected CALLPIPE_APP_BUSINESS: every selected call's facts are rebuilt from its stored status event
payloads and its stored CDR record, and the calls row and the CDR's derived columns are rewritten.
Delivery counts, receive times and the raw payloads are left alone, so nothing is counted twice.

  --from, --to   calls whose start (or, without one, end) is in [from, to), e.g. 2024-06-11T00:00:00Z
  --app-key      calls of this app key
  --business     click2call, notify or verify (as stored now)
  --dry-run      count what would change, write nothing

Exit code: 0 done, 1 some calls could not be re-derived (their stored data is now refused), 2 usage error.`;

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

/** `callpipe reprocess`: stored calls re-derived with today's model. */
export async function runReprocess(argv: string[], config: ReplayEnv, out: (line: string) => void): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'app-key': { type: 'string' },
        business: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    out(`${(error as Error).message}\n\n${REPROCESS_USAGE}`);
    return 2;
  }
  if (values.help) {
    out(REPROCESS_USAGE);
    return 0;
  }
  const parsed = optionsSchema.safeParse({
    from: values.from,
    to: values.to,
    appKey: values['app-key'],
    business: values.business,
    batchSize: values['batch-size'],
  });
  if (!parsed.success) {
    out(`${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n')}\n\n${REPROCESS_USAGE}`);
    return 2;
  }
  const { batchSize, ...filter } = parsed.data;
  const db = createDatabase({
    connectionString: config.DATABASE_URL,
    poolSize: 1,
    applicationName: 'callpipe-reprocess',
    statementTimeoutMs: 120_000,
  });
  try {
    let lastReport = performance.now();
    const result = await reprocessCalls(db, filter, {
      businessByAppKey: config.CALLPIPE_APP_BUSINESS,
      dryRun: values['dry-run'],
      batchSize,
      onProgress: (progress) => {
        if (values.json || performance.now() - lastReport < 10_000) return;
        lastReport = performance.now();
        out(
          `  ${progress.callsExamined.toLocaleString('en-US')} calls examined, ${progress.callsChanged.toLocaleString('en-US')} changed so far`,
        );
      },
    });
    if (values.json) out(JSON.stringify(result));
    else for (const line of describeResult(result)) out(line);
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
