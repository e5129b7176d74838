import { Command } from '@commander-js/extra-typings';
import { z } from 'zod';
import { createDatabase } from '@callpipe/db';
import {
  createProgressRenderer,
  DEFAULT_BATCH_SIZE,
  exitCodeOf,
  formatProblem,
  formatRecordReport,
  formats,
  formatSummary,
  InputError,
  replay,
  resolveInputs,
  WRITES_IN_FLIGHT,
  type ReplayInput,
  type ReplayReporter,
} from '@callpipe/replay';
import { parseEnv } from '@callpipe/runtime';
import { workerEnvSchema } from '@callpipe/worker';
import { migrateEnvSchema } from '../env.ts';
import { checkOptions, prose, usageError, type CliIo, type CommandContext } from './context.ts';

/** replay and reprocess write like the worker: to its database, with its app → business map. */
export const replayEnvSchema = z.object({
  DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL,
  CALLPIPE_APP_BUSINESS: workerEnvSchema.shape.CALLPIPE_APP_BUSINESS,
});
export type ReplayEnv = z.infer<typeof replayEnvSchema>;
export const parseReplayEnv = (env: NodeJS.ProcessEnv): ReplayEnv => parseEnv(replayEnvSchema, env);

const optionsSchema = z.object({
  format: z.enum(formats).optional(),
  rate: z.coerce.number().positive().max(10_000_000).optional(),
  batchSize: z.coerce.number().int().min(1).max(5_000).default(DEFAULT_BATCH_SIZE),
});

export type ReplayOptions = z.output<typeof optionsSchema> & { dryRun: boolean; strict: boolean; json: boolean };

export function replayCommand(ctx: CommandContext) {
  return new Command('replay')
    .description(
      prose(`Replays files of pushes and CDRs (a platform re-send, a console export, a dump) through the same
validation and exactly-once store as live pushes. Formats are detected from the content: one push
body, a JSON array of records or push bodies, JSON lines of either, or CSV whose header names FeeInfo
fields (sessionId required); any of them gzip-compressed. - reads standard input.

Each item is one delivery with an id derived from its file name, position and content: replaying a
file again changes nothing, and a CDR that already arrived live only gets its delivery_count raised.`),
    )
    .summary('replay CDR/push files (JSON, JSON lines, CSV, gzip) exactly once; --dry-run to compare')
    .argument('<file...>', 'files to replay, or - for standard input')
    .option(
      '--dry-run',
      'read, validate and compare with what is stored; report every record as new, stored_identical, stored_different (with the differing fields) or invalid; write nothing (--strict adds nothing to a dry run)',
    )
    .option(
      '--strict',
      'write nothing unless every record of every file is valid (all files are read and checked first, then read again to write; - is kept in a temporary file for that)',
    )
    .option('--json', 'records and the final summary as JSON lines on stdout (problems and progress stay on stderr)')
    .option('--format <format>', `skip the detection: ${formats.join(', ')}`)
    .option('--rate <records-per-second>', 'at most this many records per second, to spare a busy database')
    .option('--batch-size <n>', `deliveries per transaction (default ${DEFAULT_BATCH_SIZE})`)
    .addHelpText('after', '\nExit code: 0 all records valid, 1 some record or file was invalid, 2 usage error or unreadable file.')
    .action(async (files, values, command) => {
      const checked = checkOptions(command, optionsSchema, { format: values.format, rate: values.rate, batchSize: values.batchSize });
      const options: ReplayOptions = {
        ...checked,
        dryRun: values.dryRun === true,
        strict: values.strict === true,
        json: values.json === true,
      };
      const config = parseReplayEnv(ctx.env);
      let inputs;
      try {
        inputs = await resolveInputs(files, ctx.io.stdin);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        return usageError(command, `replay: ${error.message.split('\n').join('; ')}`);
      }
      ctx.settle(await runReplay(inputs, options, config, ctx.io));
    });
}

/** `callpipe replay`: files of pushes and CDRs into the tables, exactly once. */
export async function runReplay(inputs: readonly ReplayInput[], options: ReplayOptions, config: ReplayEnv, io: CliIo): Promise<number> {
  const progress = createProgressRenderer({ write: io.err, isTTY: io.errIsTTY });
  // A line printed while the progress line is drawn would be glued to it; clear it first.
  const clearProgress = () => io.errIsTTY && io.err('\r\u001b[2K');
  const reporter: ReplayReporter = {
    record: (report) => {
      clearProgress();
      io.out(options.json ? JSON.stringify({ type: 'record', ...report }) : formatRecordReport(report));
    },
    problem: (problem) => {
      clearProgress();
      io.err(`${formatProblem(problem)}\n`);
    },
    progress: (snapshot) => progress.update(snapshot),
  };
  const db = createDatabase({
    connectionString: config.DATABASE_URL,
    poolSize: WRITES_IN_FLIGHT,
    applicationName: 'callpipe-replay',
    statementTimeoutMs: 120_000,
  });
  try {
    const summary = await replay(
      db,
      inputs,
      {
        businessByAppKey: config.CALLPIPE_APP_BUSINESS,
        format: options.format,
        dryRun: options.dryRun,
        strict: options.strict,
        ratePerSecond: options.rate,
        batchSize: options.batchSize,
      },
      reporter,
    );
    progress.finish();
    if (options.json) io.out(JSON.stringify({ type: 'summary', ...summary }));
    else for (const line of formatSummary(summary)) io.out(line);
    return exitCodeOf(summary);
  } finally {
    progress.finish();
    await db.destroy();
  }
}
