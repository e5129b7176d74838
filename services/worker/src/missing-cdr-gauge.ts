import { countMissingCdrsByApp, type Database } from '@callpipe/db';
import type { WorkerMetrics } from '@callpipe/metrics';
import { coerceError, type Logger } from '@callpipe/runtime';
import type { Kysely } from 'kysely';

/** The label of calls whose app is not known: no CDR yet, and status events do not name the app. */
export const UNKNOWN_APP_LABEL = '(unknown)';

/**
 * How far back the gauge looks: long enough for someone to ask support and replay the file, short
 * enough that a call whose CDR can never come (placed without a feeUrl) stops counting after a week.
 */
export const MISSING_CDR_LOOKBACK_MS = 7 * 86_400_000;
const MINUTE_MS = 60_000;

export interface MissingCdrGauge {
  /** Refreshes now and then every `intervalMs`; never throws (a failed refresh keeps the last values). */
  start(): void;
  /** Stops the timer and waits for a refresh in progress, so the pool can be closed after it. */
  stop(): Promise<void>;
  /** One refresh, for tests and the first run. */
  refresh(): Promise<void>;
}

/**
 * `callpipe_calls_missing_cdr{app_key}`: every worker refreshes it, each with one range scan of
 * the partial index calls_ended_without_cdr_idx a minute. No lock elects one worker: the values are
 * the same whoever computes them, the alert takes max(), and a worker left without the lock would
 * export stale values that max() could not tell from fresh ones.
 */
export function createMissingCdrGauge(
  db: Kysely<Database>,
  metrics: WorkerMetrics,
  options: { horizonMs: number; intervalMs?: number; now?: () => number },
  logger: Logger,
): MissingCdrGauge {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const now = options.now ?? Date.now;
  // The (unknown) series exists from the start, so the alert and the panel have a series to compare.
  metrics.callsMissingCdr.set({ app_key: UNKNOWN_APP_LABEL }, 0);

  const refresh = async () => {
    const endedBefore = now() - options.horizonMs;
    const counts = await countMissingCdrsByApp(db, new Date(endedBefore - MISSING_CDR_LOOKBACK_MS), new Date(endedBefore));
    // Synchronous from reset to the last set: a scrape never sees the gauge half rebuilt.
    metrics.callsMissingCdr.reset();
    metrics.callsMissingCdr.set({ app_key: UNKNOWN_APP_LABEL }, 0);
    for (const { appKey, calls } of counts) metrics.callsMissingCdr.set({ app_key: appKey ?? UNKNOWN_APP_LABEL }, calls);
  };

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = refresh()
        .catch((error: unknown) => logger.warn('missing-CDR gauge not refreshed, will retry', { error: coerceError(error).message }))
        .finally(() => {
          running = null;
          schedule(options.intervalMs ?? MINUTE_MS);
        });
    }, delayMs);
    timer.unref();
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
    refresh,
  };
}
