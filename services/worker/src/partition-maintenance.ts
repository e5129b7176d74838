import { archiveDay } from '@callpipe/archive';
import { ensurePartitions, type Database, type PartitionMaintenanceResult } from '@callpipe/db';
import type { ObjectStore } from '@callpipe/object-store';
import type { WorkerMetrics } from '@callpipe/metrics';
import { coerceError, type Logger } from '@callpipe/runtime';
import type { Kysely } from 'kysely';

export interface PartitionMaintenance {
  /** Runs the maintenance now and then every `intervalMs`; never throws (failures are logged and retried). */
  start(): void;
  /** Stops the timer and waits for a run in progress, so the pool can be closed after it. */
  stop(): Promise<void>;
}

export interface PartitionMaintenanceOptions {
  aheadDays: number;
  retentionDays: number;
  /** Where expired days are archived before they are dropped; without it they are dropped unarchived. */
  archive?: ObjectStore;
  intervalMs?: number;
  /** After a failed run (Postgres down), the next one comes sooner. */
  retryMs?: number;
}

const HOUR_MS = 3_600_000;
const RETRY_MS = 300_000;

/**
 * Keeps the daily partitions ahead of time and applies the retention, from every worker: runs
 * serialize on a transaction-scoped advisory lock, so several workers cost nothing but a look.
 */
export function createPartitionMaintenance(
  db: Kysely<Database>,
  options: PartitionMaintenanceOptions,
  logger: Logger,
  metrics: WorkerMetrics,
): PartitionMaintenance {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = run().finally(() => {
        running = null;
      });
    }, delayMs);
    timer.unref();
  };

  const run = async (): Promise<void> => {
    try {
      const { archive } = options;
      const result = await ensurePartitions(db, {
        aheadDays: options.aheadDays,
        retentionDays: options.retentionDays,
        ...(archive ? { archiveDay: (day: string) => archiveDay(db, archive, day).then(() => undefined) } : {}),
      });
      report(result, logger, metrics);
      // A failed archive is tried again sooner: until it succeeds the day is kept and the retention waits.
      schedule(result.archiveFailed.length > 0 ? (options.retryMs ?? RETRY_MS) : (options.intervalMs ?? HOUR_MS));
    } catch (error) {
      logger.warn('partition maintenance failed, will retry', { error: coerceError(error).message });
      schedule(options.retryMs ?? RETRY_MS);
    }
  };

  return {
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

function report(result: PartitionMaintenanceResult, logger: Logger, metrics: WorkerMetrics): void {
  if (result.archived.length > 0) {
    metrics.archiveLastSuccess.set(Date.now() / 1000);
    logger.info('expired days archived and verified', { days: result.archived });
  }
  metrics.archiveFailures.inc(result.archiveFailed.length);
  metrics.archiveDaysOverdue.set(result.archiveFailed.length);
  for (const failure of result.archiveFailed) logger.error('archive failed, the day is kept', failure);
  for (const [table, rows] of Object.entries(result.defaultRows)) metrics.defaultPartitionRows.set({ table }, rows);
  const { created, dropped, moved, callsDeleted, defaultRowsDeleted, replayedDeliveriesDeleted } = result;
  if (created.length + dropped.length + callsDeleted + defaultRowsDeleted + replayedDeliveriesDeleted > 0) {
    logger.info('partitions maintained', {
      created,
      dropped,
      callsDeleted,
      ...(defaultRowsDeleted > 0 ? { defaultRowsDeleted } : {}),
      ...(replayedDeliveriesDeleted > 0 ? { replayedDeliveriesDeleted } : {}),
    });
  }
  if (moved.length > 0) logger.warn('rows were waiting in DEFAULT partitions and were moved into new daily partitions', { moved });
  if (result.lockTimeout)
    logger.warn('partition maintenance could not get its locks in time, the next run goes on', { step: result.lockTimeout });
  const waiting = Object.entries(result.defaultRows).filter(([, rows]) => rows > 0);
  if (waiting.length > 0) logger.warn('rows in DEFAULT partitions', Object.fromEntries(waiting));
}
