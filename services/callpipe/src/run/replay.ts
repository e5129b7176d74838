import type { CommandUnknownOpts } from '@commander-js/extra-typings';
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
import { billingEnvShape, workerEnvSchema } from '@callpipe/worker';
import { migrateEnvSchema } from '../env.ts';
import { checkOptions, usageError, type CliIo, type Outcome } from '../commands/context.ts';

/** replay and reprocess write like the worker: to its database, with its app → business map. */
export const replayEnvSchema = z.object({
  DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL,
  CALLPIPE_APP_BUSINESS: workerEnvSchema.shape.CALLPIPE_APP_BUSINESS,
  ...billingEnvShape,
});
export type ReplayEnv = z.infer<typeof replayEnvSchema>;
export const parseReplayEnv = (env: NodeJS.ProcessEnv): ReplayEnv => parseEnv(replayEnvSchema, env);

const optionsSchema = z.object({
  format: z.enum(formats).optional(),
  rate: z.coerce.number().positive().max(10_000_000).optional(),
  batchSize: z.coerce.number().int().min(1).max(5_000).default(DEFAULT_BATCH_SIZE),
});

export type ReplayOptions = z.output<typeof optionsSchema> & { dryRun: boolean; strict: boolean; json: boolean };

/** What commander parsed, before the values are checked. */
export interface ReplayFlags {
  format?: string;
  rate?: string;
  batchSize?: string;
  dryRun?: true;
  strict?: true;
  json?: true;
}

export async function replayFiles(
  command: CommandUnknownOpts,
  files: string[],
  flags: ReplayFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const checked = checkOptions(command, optionsSchema, { format: flags.format, rate: flags.rate, batchSize: flags.batchSize });
  const options: ReplayOptions = {
    ...checked,
    dryRun: flags.dryRun === true,
    strict: flags.strict === true,
    json: flags.json === true,
  };
  const config = parseReplayEnv(env);
  let inputs;
  try {
    inputs = await resolveInputs(files, io.stdin);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return usageError(command, `replay: ${error.message.split('\n').join('; ')}`);
  }
  return runReplay(inputs, options, config, io);
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
        billingTimeZone: config.CALLPIPE_BILLING_TIME_ZONE,
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
