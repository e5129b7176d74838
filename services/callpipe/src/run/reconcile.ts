import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { z } from 'zod';
import {
  callsToCompare,
  type createDatabase,
  DEFAULT_CDR_HORIZON_MS,
  listCdrsWithoutStatus,
  listMissingCdrs,
  reconcileDayCounts,
  type ReconcileCall,
  type ReconcileDayCounts,
  type ReconcilePeriod,
} from '@callpipe/db';
import { parsePeriodBound, statusCdrDisagreements, type Disagreement } from '@callpipe/events';
import { formatDuration, parseDuration, parseEnv } from '@callpipe/runtime';
import { billingEnvShape } from '@callpipe/worker';
import { usageError, type CliIo, type Outcome } from '../commands/context.ts';
import { migrateEnvSchema } from '../env.ts';
import { withCommandDatabase } from './database.ts';
import { describeReconciliation, missingCdrsCsv } from './reconcile-report.ts';

const reconcileEnvSchema = z.object({ DATABASE_URL: migrateEnvSchema.shape.DATABASE_URL, ...billingEnvShape });
type ReconcileEnv = z.infer<typeof reconcileEnvSchema>;

export const reconcileFormats = ['table', 'csv', 'json'] as const;
type ReconcileFormat = (typeof reconcileFormats)[number];

/** The longest horizon: beyond a month a CDR is not late, it is lost either way. */
const MAX_HORIZON_MS = 31 * 86_400_000;
const COMPARE_PAGE = 2_000;

export interface ReconcileFlags {
  from: string;
  to: string;
  appKey?: string;
  horizon?: string;
  format: string;
}

export interface Reconciliation {
  period: { from: string; to: string; timeZone: string; horizon: string; endedBefore: string; appKey: string | null };
  apps: Array<ReconcileDayCounts & { disagreements: number }>;
  missingCdrs: ReconcileCall[];
  cdrsWithoutStatus: ReconcileCall[];
  disagreements: Array<{ sessionId: string } & Disagreement>;
}

export async function reconcile(command: CommandUnknownOpts, flags: ReconcileFlags, env: NodeJS.ProcessEnv, io: CliIo): Promise<Outcome> {
  const config = parseEnv(reconcileEnvSchema, env);
  const timeZone = config.CALLPIPE_BILLING_TIME_ZONE;
  const bound = (flag: '--from' | '--to', text: string) =>
    parsePeriodBound(text, timeZone) ??
    usageError(
      command,
      `${flag}: ${JSON.stringify(text)} is not a time: give a day (2026-12-01), a wall time (2026-12-01T08:00, both in ${timeZone}) or an instant with an offset (2026-11-30T16:00:00Z)`,
    );
  const from = bound('--from', flags.from);
  const to = bound('--to', flags.to);
  if (from >= to) usageError(command, `--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  const horizonMs = flags.horizon === undefined ? DEFAULT_CDR_HORIZON_MS : parseDuration(flags.horizon);
  if (horizonMs === null || horizonMs <= 0 || horizonMs > MAX_HORIZON_MS)
    usageError(command, `--horizon: ${JSON.stringify(flags.horizon)} is not a duration between 1s and 31d, such as 7h, 90m or 1h30m`);
  if (!(reconcileFormats as readonly string[]).includes(flags.format))
    usageError(command, `--format: ${JSON.stringify(flags.format)} is not one of ${reconcileFormats.join(', ')}`);
  if (flags.appKey !== undefined && flags.appKey.trim() === '') usageError(command, '--app-key: must not be empty');
  return runReconcile(
    { from, to, timeZone, horizonMs, appKey: flags.appKey, format: flags.format as ReconcileFormat, now: new Date() },
    config,
    io,
  );
}

export interface ReconcileOptions {
  from: Date;
  to: Date;
  timeZone: string;
  horizonMs: number;
  appKey?: string;
  format: ReconcileFormat;
  now: Date;
}

export async function runReconcile(options: ReconcileOptions, config: ReconcileEnv, io: Pick<CliIo, 'out' | 'err'>): Promise<number> {
  const result = await withCommandDatabase(config.DATABASE_URL, 'reconcile', (db) => reconcileCalls(db, options));
  const { missingCdrs, cdrsWithoutStatus, disagreements } = result;
  const summary = `reconcile: ${missingCdrs.length} calls ended without a CDR past ${result.period.horizon}, ${cdrsWithoutStatus.length} CDRs without status events, ${disagreements.length} disagreements`;
  switch (options.format) {
    case 'json':
      io.out(JSON.stringify(result));
      io.err(`${summary}\n`);
      break;
    case 'csv':
      for (const line of missingCdrsCsv(missingCdrs)) io.out(line);
      io.err(`${summary}\n`);
      break;
    case 'table':
      for (const line of describeReconciliation(result)) io.out(line);
      break;
  }
  return missingCdrs.length > 0 ? 1 : 0;
}

/** Everything `reconcile` reports, read in one read-only transaction so the counts and lists agree. */
export async function reconcileCalls(db: ReturnType<typeof createDatabase>, options: ReconcileOptions): Promise<Reconciliation> {
  const period: ReconcilePeriod = {
    from: options.from,
    to: options.to,
    timeZone: options.timeZone,
    endedBefore: new Date(options.now.getTime() - options.horizonMs),
    ...(options.appKey === undefined ? {} : { appKey: options.appKey }),
  };
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const counts = await reconcileDayCounts(trx, period);
      const missingCdrs = await listMissingCdrs(trx, period);
      const cdrsWithoutStatus = await listCdrsWithoutStatus(trx, period);
      const disagreements: Reconciliation['disagreements'] = [];
      const disagreeingPerDay = new Map<string, number>();
      for (let after: { endedAt: string; sessionId: string } | null = null; ;) {
        const page = await callsToCompare(trx, period, after, COMPARE_PAGE);
        for (const call of page) {
          const found = statusCdrDisagreements(call.facts, call.cdrBusiness);
          if (found.length === 0) continue;
          disagreements.push(...found.map((disagreement) => ({ sessionId: call.sessionId, ...disagreement })));
          const key = JSON.stringify([call.appKey, call.day]);
          disagreeingPerDay.set(key, (disagreeingPerDay.get(key) ?? 0) + 1);
        }
        const last = page.at(-1);
        if (!last || page.length < COMPARE_PAGE) break;
        after = { endedAt: last.endedAt, sessionId: last.sessionId };
      }
      return {
        period: {
          from: options.from.toISOString(),
          to: options.to.toISOString(),
          timeZone: options.timeZone,
          horizon: formatDuration(options.horizonMs),
          endedBefore: period.endedBefore.toISOString(),
          appKey: options.appKey ?? null,
        },
        apps: counts.map((row) => ({ ...row, disagreements: disagreeingPerDay.get(JSON.stringify([row.appKey, row.day])) ?? 0 })),
        missingCdrs,
        cdrsWithoutStatus,
        disagreements,
      };
    });
}
