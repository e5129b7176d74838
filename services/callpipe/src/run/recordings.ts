import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import {
  claimRecordings,
  countMissingRecordingTasks,
  createMissingRecordingTasks,
  listFetchableRecordings,
  recentRecordingProblems,
  recordingsByDay,
  recordingStatuses,
  reopenFailedRecordings,
  summarizeRecordings,
  postgresUrlProblem,
  type RecordingFilter,
} from '@callpipe/db';
import { createLogger, checkedString, logLevel, parseEnv, readableFromFile } from '@callpipe/runtime';
import { archiveEnvShape, createRecordingsFromEnv, readAppSecrets, recordingsEnvShape, type FetchOutcome } from '@callpipe/worker';
import { checkOptions, type CliIo, type Outcome } from '../commands/context.ts';
import { withCommandDatabase } from './database.ts';

const statusEnvSchema = z.object({
  DATABASE_URL: readableFromFile(checkedString('postgres://postgres@127.0.0.1:5432/callpipe', postgresUrlProblem)),
  LOG_LEVEL: logLevel,
});

// An s3:// store takes the same connection variables as the archive.
const fetchEnvSchema = statusEnvSchema.extend({ ...recordingsEnvShape, ...archiveEnvShape }).superRefine((env, ctx) => {
  if (env.CALLPIPE_HUAWEI_API_URL === '')
    ctx.addIssue({
      code: 'custom',
      path: ['CALLPIPE_HUAWEI_API_URL'],
      message: "recordings fetch needs the platform's app access address",
    });
  if (env.CALLPIPE_RECORDINGS_URL === '')
    ctx.addIssue({
      code: 'custom',
      path: ['CALLPIPE_RECORDINGS_URL'],
      message: 'recordings fetch needs a store: file:///path or s3://bucket/prefix',
    });
});

const DAYS_SHOWN = 8;
const PROBLEMS_SHOWN = 10;

export async function recordingsStatus(flags: { json?: true }, env: NodeJS.ProcessEnv, io: CliIo): Promise<Outcome> {
  const config = parseEnv(statusEnvSchema, env);
  return withCommandDatabase(config.DATABASE_URL, 'recordings', async (db) => {
    const summary = await summarizeRecordings(db);
    const days = await recordingsByDay(db, DAYS_SHOWN);
    const problems = (await recentRecordingProblems(db, PROBLEMS_SHOWN)).map((task) => ({
      sessionId: task.session_id,
      status: task.status,
      attempts: task.attempts,
      error: task.last_error,
    }));
    if (flags.json) {
      io.out(JSON.stringify({ ...summary, days, problems }));
      return 0;
    }
    const n = (value: number) => value.toLocaleString('en-US');
    io.out(`recordings: ${recordingStatuses.map((status) => `${n(summary.byStatus[status])} ${status}`).join(', ')}`);
    if (summary.oldestPendingAgeSeconds !== null && summary.soonestPendingExpirySeconds !== null)
      io.out(
        `  oldest pending: CDR first received ${duration(summary.oldestPendingAgeSeconds)} ago; first deadline in ${duration(summary.soonestPendingExpirySeconds)}`,
      );
    if (days.length > 0) {
      io.out(`  ${'day (UTC)'.padEnd(10)}  ${recordingStatuses.map((status) => status.padStart(11)).join(' ')}`);
      for (const day of days) io.out(`  ${day.day}  ${recordingStatuses.map((status) => n(day.counts[status]).padStart(11)).join(' ')}`);
    }
    for (const problem of problems)
      io.out(`  ${problem.status} ${problem.sessionId} after ${problem.attempts} attempts: ${problem.error ?? ''}`);
    return 0;
  });
}

const instant = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO time, e.g. 2026-12-01T00:00:00Z')
  .transform((value) => new Date(value).toISOString());

const fetchOptionsSchema = z.object({ sessionId: z.string().min(1).max(256).optional(), since: instant.optional() });

export interface RecordingsFetchFlags {
  sessionId?: string;
  since?: string;
  dryRun?: true;
  json?: true;
}

export interface FetchReport {
  dryRun: boolean;
  tasksCreated: number;
  failedReopened: number;
  fetched: number;
  outcomes: Record<FetchOutcome['outcome'], number>;
  /** Dry run: the session ids that would be fetched. */
  wouldFetch?: string[];
  notStored: Array<{ sessionId: string; outcome: FetchOutcome['outcome']; detail: string }>;
}

export async function recordingsFetch(
  command: CommandUnknownOpts,
  flags: RecordingsFetchFlags,
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<Outcome> {
  const raw = checkOptions(command, fetchOptionsSchema, flags);
  const filter: RecordingFilter = { ...(raw.sessionId ? { sessionId: raw.sessionId } : {}), ...(raw.since ? { since: raw.since } : {}) };
  const dryRun = flags.dryRun === true;
  const report = dryRun ? await dryRunFetch(filter, parseEnv(statusEnvSchema, env).DATABASE_URL) : await runFetch(filter, env, io);
  if (flags.json) io.out(JSON.stringify(report));
  else for (const line of describeFetch(report)) io.out(line);
  return report.notStored.some((entry) => entry.outcome !== 'unavailable') ? 1 : 0;
}

async function dryRunFetch(filter: RecordingFilter, databaseUrl: string): Promise<FetchReport> {
  return withCommandDatabase(databaseUrl, 'recordings', async (db) => {
    const missing = await countMissingRecordingTasks(db, filter);
    const fetchable = await listFetchableRecordings(db, filter);
    return {
      dryRun: true,
      tasksCreated: missing,
      failedReopened: fetchable.filter((task) => task.status === 'failed').length,
      fetched: 0,
      outcomes: emptyOutcomes(),
      wouldFetch: fetchable.map((task) => task.session_id),
      notStored: [],
    };
  });
}

async function runFetch(filter: RecordingFilter, env: NodeJS.ProcessEnv, io: CliIo): Promise<FetchReport> {
  const parsed = parseEnv(fetchEnvSchema, env);
  const config = { ...parsed, appSecrets: readAppSecrets({ ...parsed, CALLPIPE_RECORDINGS: 'on' }) };
  const logger = createLogger({ level: parsed.LOG_LEVEL, write: (line) => io.err(line) });
  return withCommandDatabase(
    config.DATABASE_URL,
    'recordings',
    async (db) => {
      const recordings = createRecordingsFromEnv({ ...config, CALLPIPE_RECORDINGS: 'on' }, db, null, logger)!;
      try {
        const tasksCreated = await createMissingRecordingTasks(db, filter);
        const failedReopened = await reopenFailedRecordings(db, filter);
        const fetchable = (await listFetchableRecordings(db, filter)).map((task) => task.session_id);
        io.err(`recordings fetch: ${fetchable.length} to fetch (${tasksCreated} tasks created, ${failedReopened} failed ones reopened)\n`);
        const outcomes: FetchOutcome[] = [];
        // Claimed a few at a time: a lease is renewed only while its download runs.
        for (let start = 0; start < fetchable.length; start += config.CALLPIPE_RECORDINGS_CONCURRENCY) {
          const chunk = fetchable.slice(start, start + config.CALLPIPE_RECORDINGS_CONCURRENCY);
          const claimed = await claimRecordings(db, chunk, recordings.fetcher.owner, config.CALLPIPE_RECORDINGS_LEASE_MS);
          outcomes.push(...(await recordings.fetcher.fetchClaimed(claimed)));
        }
        const counts = emptyOutcomes();
        for (const outcome of outcomes) counts[outcome.outcome] += 1;
        return {
          dryRun: false,
          tasksCreated,
          failedReopened,
          fetched: outcomes.length,
          outcomes: counts,
          notStored: outcomes.filter((outcome) => outcome.outcome !== 'stored'),
        };
      } finally {
        await recordings.fetcher.stop();
        await recordings.store.close();
      }
    },
    2,
  );
}

function emptyOutcomes(): FetchReport['outcomes'] {
  return { stored: 0, retry: 0, failed: 0, unavailable: 0, expired: 0, released: 0, lease_lost: 0 };
}

function describeFetch(report: FetchReport): string[] {
  if (report.dryRun)
    return [
      `recordings fetch (dry run, nothing changed): would create ${report.tasksCreated} tasks, reopen ${report.failedReopened} failed ones and fetch ${report.wouldFetch!.length} recordings${report.tasksCreated > 0 ? ' plus the new ones' : ''}`,
      ...report.wouldFetch!.map((sessionId) => `  ${sessionId}`),
    ];
  const counts = Object.entries(report.outcomes)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => `${count} ${outcome}`);
  return [
    `recordings fetch: ${report.tasksCreated} tasks created, ${report.failedReopened} failed ones reopened, ${report.fetched} fetched${counts.length > 0 ? `: ${counts.join(', ')}` : ''}`,
    ...report.notStored.map((entry) => `  ${entry.outcome} ${entry.sessionId}: ${entry.detail}`),
  ];
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 3_600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ${Math.floor((s % 3_600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3_600)} h`;
}
