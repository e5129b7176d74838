import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
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
  type ReplayReporter,
} from '@callpipe/replay';
import { parseEnv } from '@callpipe/runtime';
import { workerEnvSchema } from '@callpipe/worker';
import { migrateEnvSchema } from '../env.ts';

/** replay and reprocess write like the worker: to its database, with its app → business map. */
export const replayEnvSchema = z.object({
  DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL,
  CALLPIPE_APP_BUSINESS: workerEnvSchema.shape.CALLPIPE_APP_BUSINESS,
});
export type ReplayEnv = z.infer<typeof replayEnvSchema>;
export const parseReplayEnv = (env: NodeJS.ProcessEnv): ReplayEnv => parseEnv(replayEnvSchema, env);

export const REPLAY_USAGE = `usage: pnpm callpipe replay [--dry-run] [--strict] [--json] [--format push|json-array|jsonl|csv]
                        [--rate RECORDS_PER_SECOND] [--batch-size N] <file|->...

Replays files of pushes and CDRs (a platform re-send, a console export, a dump) through the same
validation and exactly-once store as live pushes. Formats are detected from the content: one push
body, a JSON array of records or push bodies, JSON lines of either, or CSV whose header names FeeInfo
fields (sessionId required); any of them gzip-compressed. - reads standard input.

Each item is one delivery with an id derived from its file name, position and content: replaying a
file again changes nothing, and a CDR that already arrived live only gets its delivery_count raised.

  --dry-run     read, validate and compare with what is stored; report every record as new,
                stored_identical, stored_different (with the differing fields) or invalid; write
                nothing (--strict adds nothing to a dry run)
  --strict      write nothing unless every record of every file is valid (all files are read and
                checked first, then read again to write; - is kept in a temporary file for that)
  --json        records and the final summary as JSON lines on standard output
  --rate N      at most N records per second, to spare a busy database
  --batch-size  deliveries per transaction (default ${DEFAULT_BATCH_SIZE})

Exit code: 0 all records valid, 1 some record or file was invalid, 2 usage error or unreadable file.`;

const optionsSchema = z.object({
  format: z.enum(formats).optional(),
  rate: z.coerce.number().positive().max(10_000_000).optional(),
  batchSize: z.coerce.number().int().min(1).max(5_000).default(DEFAULT_BATCH_SIZE),
});

export interface ReplayIo {
  /** Standard output: record reports and the summary. */
  out: (line: string) => void;
  /** Standard error: progress, file problems. */
  err: (text: string) => void;
  errIsTTY: boolean;
  stdin: Readable;
}

const processIo = (): ReplayIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
  errIsTTY: process.stderr.isTTY === true,
  stdin: process.stdin,
});

/** `callpipe replay`: files of pushes and CDRs into the tables, exactly once. */
export async function runReplay(argv: string[], config: ReplayEnv, io: ReplayIo = processIo()): Promise<number> {
  let parsedArgs;
  try {
    parsedArgs = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        rate: { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${REPLAY_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsedArgs;
  if (values.help) {
    io.out(REPLAY_USAGE);
    return 0;
  }
  const parsed = optionsSchema.safeParse({ format: values.format, rate: values.rate, batchSize: values['batch-size'] });
  if (!parsed.success) {
    io.err(`${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n')}\n\n${REPLAY_USAGE}\n`);
    return 2;
  }
  let inputs;
  try {
    inputs = await resolveInputs(positionals, io.stdin);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.err(`replay: ${error.message}\n${positionals.length === 0 ? `\n${REPLAY_USAGE}\n` : ''}`);
    return 2;
  }

  const progress = createProgressRenderer({ write: io.err, isTTY: io.errIsTTY });
  // A line printed while the progress line is drawn would be glued to it; clear it first.
  const clearProgress = () => io.errIsTTY && io.err('\r\u001b[2K');
  const reporter: ReplayReporter = {
    record: (report) => {
      clearProgress();
      io.out(values.json ? JSON.stringify({ type: 'record', ...report }) : formatRecordReport(report));
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
        format: parsed.data.format,
        dryRun: values['dry-run'],
        strict: values.strict,
        ratePerSecond: parsed.data.rate,
        batchSize: parsed.data.batchSize,
      },
      reporter,
    );
    progress.finish();
    if (values.json) io.out(JSON.stringify({ type: 'summary', ...summary }));
    else for (const line of formatSummary(summary)) io.out(line);
    return exitCodeOf(summary);
  } finally {
    progress.finish();
    await db.destroy();
  }
}
