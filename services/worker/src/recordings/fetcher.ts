import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  claimDueRecordings,
  expireOverdueRecordings,
  markRecordingStored,
  releaseRecording,
  renewRecordingLease,
  rescheduleRecording,
  settleRecording,
  type Db,
  type RecordingTask,
} from '@callpipe/db';
import type { RecordingMetrics } from '@callpipe/metrics';
import { backoffDelayMs, coerceError, type Logger } from '@callpipe/runtime';
import { decideRecordingOutcome, type OutcomePolicy } from './decide-outcome.ts';
import { downloadRecording, type DownloadSettings } from './download.ts';
import { RecordingFetchError } from './fetch-error.ts';

export interface RecordingFetcherOptions {
  db: Db;
  download: DownloadSettings;
  policy: OutcomePolicy;
  /** Downloads in flight at once in this process. */
  concurrency: number;
  pollMs: number;
  leaseMs: number;
  metrics: RecordingMetrics | null;
  logger: Logger;
  /** Who holds a lease, in the table; unique per process. */
  owner?: string;
}

export interface RecordingFetcher {
  /** The lease owner this fetcher writes into the table. */
  readonly owner: string;
  start(): void;
  /** Stops claiming, aborts the downloads in flight and gives their tasks back (the attempt not counted). */
  stop(): Promise<void>;
  /** Fetches these tasks now (claimed by the caller), for `callpipe recordings fetch`; resolves with their outcomes. */
  fetchClaimed(tasks: readonly RecordingTask[]): Promise<FetchOutcome[]>;
}

export interface FetchOutcome {
  sessionId: string;
  outcome: 'stored' | 'retry' | 'failed' | 'unavailable' | 'expired' | 'released' | 'lease_lost';
  detail: string;
}

class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/**
 * The worker's recording fetcher: claims due tasks under a lease (SKIP LOCKED, so workers share the
 * table), downloads at most `concurrency` at once, renews each lease while it downloads, and settles
 * every task through `decideRecordingOutcome`. An app whose credentials were refused is left alone
 * for a backoff, so one bad secret does not send a request per task.
 */
export function createRecordingFetcher(options: RecordingFetcherOptions): RecordingFetcher {
  const { db, logger, metrics } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const inFlight = new Map<string, Promise<FetchOutcome>>();
  const stopping = new AbortController();
  const refusedApps = new Map<string, { until: number; refusals: number }>();
  let wake: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  let lastExpiry = 0;

  const nudge = () => {
    wake?.();
    wake = null;
  };

  const skippedApps = () => {
    const now = Date.now();
    return [...refusedApps].filter(([, state]) => state.until > now).map(([appKey]) => appKey);
  };

  const settle = async (task: RecordingTask, error: unknown): Promise<FetchOutcome> => {
    const failure =
      error instanceof RecordingFetchError ? error : new RecordingFetchError('transient', coerceError(error).message, { cause: error });
    const decision = decideRecordingOutcome(
      {
        kind: failure.kind,
        message: failure.message,
        attempts: task.attempts,
        talkSeconds: task.talk_seconds,
        expiresAt: new Date(task.expires_at),
        now: new Date(),
      },
      options.policy,
    );
    if (failure.kind === 'auth' && task.app_key) {
      const refusals = (refusedApps.get(task.app_key)?.refusals ?? 0) + 1;
      const pause = backoffDelayMs(refusals, { baseMs: options.policy.retryBaseMs, maxMs: options.policy.retryMaxMs });
      refusedApps.set(task.app_key, { until: Date.now() + pause, refusals });
      logger.error('the platform refused the credentials of an app; its recordings wait', { appKey: task.app_key, pauseMs: pause });
    }
    if (decision.action === 'retry') {
      await rescheduleRecording(db, task.session_id, owner, decision.reason, decision.at);
      metrics?.downloads.inc({ outcome: 'retry' });
      logger.warn('recording not fetched, will retry', { sessionId: task.session_id, attempt: task.attempts, error: decision.reason });
      return { sessionId: task.session_id, outcome: 'retry', detail: decision.reason };
    }
    await settleRecording(db, task.session_id, owner, decision.status, decision.reason);
    metrics?.downloads.inc({ outcome: decision.status });
    logger[decision.status === 'unavailable' ? 'info' : 'error'](`recording ${decision.status}`, {
      sessionId: task.session_id,
      error: decision.reason,
    });
    return { sessionId: task.session_id, outcome: decision.status, detail: decision.reason };
  };

  const fetchOne = async (task: RecordingTask): Promise<FetchOutcome> => {
    const lease = new AbortController();
    const started = performance.now();
    const renewal = setInterval(
      () => {
        renewRecordingLease(db, task.session_id, owner, options.leaseMs).then(
          (held) => held || lease.abort(new LeaseLostError('another fetcher holds the task now')),
          (error: unknown) => logger.warn('recording lease not renewed', { sessionId: task.session_id, error: coerceError(error).message }),
        );
      },
      Math.max(250, Math.floor(options.leaseMs / 3)),
    );
    try {
      const stored = await downloadRecording(task, options.download, AbortSignal.any([stopping.signal, lease.signal]));
      const marked = await markRecordingStored(db, task.session_id, owner, {
        bytes: stored.bytes,
        sha256: stored.sha256,
        location: stored.location,
      });
      if (task.app_key) refusedApps.delete(task.app_key);
      metrics?.downloads.inc({ outcome: 'stored' });
      metrics?.downloadedBytes.inc(stored.bytes);
      metrics?.downloadDuration.observe((performance.now() - started) / 1000);
      if (!marked)
        return { sessionId: task.session_id, outcome: 'lease_lost', detail: 'stored, but another fetcher held the task by then' };
      logger.info('recording stored', { sessionId: task.session_id, bytes: stored.bytes });
      return { sessionId: task.session_id, outcome: 'stored', detail: stored.location };
    } catch (error) {
      if (lease.signal.aborted) {
        logger.warn('recording lease lost during the download', { sessionId: task.session_id });
        return { sessionId: task.session_id, outcome: 'lease_lost', detail: 'another fetcher holds the task now' };
      }
      if (stopping.signal.aborted) {
        await releaseRecording(db, task.session_id, owner);
        return { sessionId: task.session_id, outcome: 'released', detail: 'shutting down; the task is due again' };
      }
      return await settle(task, error);
    } finally {
      clearInterval(renewal);
    }
  };

  const track = (task: RecordingTask): Promise<FetchOutcome> => {
    const running = fetchOne(task)
      .catch((error: unknown): FetchOutcome => {
        // Settling needs Postgres; without it the lease runs out and the task is due again.
        logger.warn('recording task not settled', { sessionId: task.session_id, error: coerceError(error).message });
        return { sessionId: task.session_id, outcome: 'retry', detail: coerceError(error).message };
      })
      .finally(() => {
        inFlight.delete(task.session_id);
        nudge();
      });
    inFlight.set(task.session_id, running);
    return running;
  };

  const cycle = async (): Promise<void> => {
    if (Date.now() - lastExpiry >= options.pollMs) {
      lastExpiry = Date.now();
      const expired = await expireOverdueRecordings(db);
      if (expired > 0) {
        metrics?.downloads.inc({ outcome: 'expired' }, expired);
        logger.error('recordings expired before they were stored', { count: expired });
      }
    }
    const free = options.concurrency - inFlight.size;
    if (free <= 0) return;
    const tasks = await claimDueRecordings(db, { owner, limit: free, leaseMs: options.leaseMs, skipAppKeys: skippedApps() });
    for (const task of tasks) void track(task);
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      try {
        await cycle();
      } catch (error) {
        logger.warn('recording fetcher could not read its tasks', { error: coerceError(error).message });
      }
      if (stopping.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  return {
    owner,
    start() {
      loop ??= run();
    },
    async stop() {
      stopping.abort(new Error('the worker is shutting down'));
      nudge();
      await loop;
      await Promise.all(inFlight.values());
    },
    async fetchClaimed(tasks) {
      const outcomes: FetchOutcome[] = [];
      const queue = [...tasks];
      const lanes = Array.from({ length: Math.min(options.concurrency, queue.length) }, async () => {
        for (let task = queue.shift(); task; task = queue.shift()) outcomes.push(await track(task));
      });
      await Promise.all(lanes);
      return outcomes;
    },
  };
}
