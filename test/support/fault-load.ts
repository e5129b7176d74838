import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import { buildTraffic, drive, tallyWhenSettled, type Sent, type Tally } from '@callpipe/simulator';
import { waitFor } from '@callpipe/testkit/support';
import type { Pipeline } from './pipeline.ts';

// Steady load on a pipeline with a fault injected part-way, for every fault suite: the generator
// records each push that got 200, and the tally checks each of them is stored exactly once.

export type FaultSummary = Array<Tally & { fault: string }>;

export interface LoadRun {
  result: Tally & { settled: boolean };
  sent: Sent[];
  /** Longest time without any 200 while the load ran. */
  longestAckGapMs: number;
  /** Pushes the ingest drained from its disk spool into Redis. */
  spooled: number;
}

export interface LoadProgress {
  /** Pushes answered 200 so far. */
  acked(): number;
  /** Waits until `count` more pushes than now have been answered 200: the load goes on meanwhile. */
  moreAcked(count: number): Promise<void>;
}

export interface LoadOptions {
  fault: string;
  seed: number;
  /** The Redis the pipeline uses, to describe its queue when the run does not settle. */
  redisUrl: string;
  /** Where the suite collects its rows for printFaultSummary. */
  summary: FaultSummary;
  calls?: number;
  ratePerSecond?: number;
  settleTimeoutMs?: number;
  /** The fault: runs once a quarter of the load has been acked, while the rest is still being sent. */
  during?: (pipeline: Pipeline, progress: LoadProgress) => Promise<void>;
}

export async function runUnderLoad(p: Pipeline, options: LoadOptions): Promise<LoadRun> {
  const traffic = buildTraffic(options.seed, options.calls ?? 150);
  const ackTimes: number[] = [];
  const driving = drive(p.baseUrl, traffic, {
    ratePerSecond: options.ratePerSecond ?? 150,
    concurrency: 16,
    onResult: (sent) => {
      if (sent.outcome === 'acked') ackTimes.push(Date.now());
    },
  });
  const progress: LoadProgress = {
    acked: () => ackTimes.length,
    moreAcked: async (count) => {
      const target = ackTimes.length + count;
      await waitFor(() => ackTimes.length >= target, { timeoutMs: 30_000, what: `${count} more pushes acked` });
    },
  };
  // Part-way: the fault must hit a pipeline that is busy, not one still starting or already idle.
  await waitFor(() => ackTimes.length >= traffic.length / 4, { timeoutMs: 30_000, what: 'a quarter of the load acked' });
  await options.during?.(p, progress);
  const sent = await driving;
  const result = await tallyWhenSettled(p.db, sent, options.settleTimeoutMs ?? 90_000);
  options.summary.push({ fault: options.fault, ...result });
  ackTimes.sort((a, b) => a - b);
  const longestAckGapMs = ackTimes.reduce((longest, time, index) => (index === 0 ? 0 : Math.max(longest, time - ackTimes[index - 1]!)), 0);
  const metrics = await (await fetch(`http://127.0.0.1:${p.env['INGEST_ADMIN_PORT']}/metrics`)).text();
  const spooled = Number(/^callpipe_ingest_spool_drained_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
  if (!result.settled) await explainUnsettled(p, options.fault, options.redisUrl);
  return { result, sent, longestAckGapMs, spooled };
}

/** Prints the queue and the processes' last output, so a run that did not settle can be understood. */
async function explainUnsettled(p: Pipeline, fault: string, redisUrl: string): Promise<void> {
  const connection = createRedisConnection(redisUrl, 'admin');
  const queue = createPushQueue(connection, queuePrefix(p.env['CALLPIPE_QUEUE_PREFIX']!));
  const counts = await queue.getJobCounts().catch((error: unknown) => String(error));
  const delayed = await queue.getDelayed(0, 2).catch(() => []);
  await queue.close();
  connection.disconnect();
  const sample = delayed.map((job) => ({
    delay: job.delay,
    timestamp: job.timestamp,
    attemptsStarted: job.attemptsStarted,
    attemptsMade: job.attemptsMade,
  }));
  console.log(
    `${fault}: not settled; queue ${JSON.stringify(counts)}; delayed sample ${JSON.stringify(sample)}\nworker output:\n${p.worker.output().slice(-4_000)}\ningest output:\n${p.ingest.output().slice(-2_000)}`,
  );
}

/** Every push that got 200 is stored, once. */
export function expectExactlyOnce(result: Tally): void {
  expect(result.acked).toBeGreaterThan(0);
  expect(result.lost).toBe(0);
  expect(result.duplicated).toBe(0);
  expect(result.stored).toBe(result.expected);
}

/** The value of an ingest metric (the first series of that name), read from its admin port. */
export async function ingestMetric(p: Pipeline, name: string): Promise<number> {
  const metrics = await (await fetch(`http://127.0.0.1:${p.env['INGEST_ADMIN_PORT']}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN);
}

/**
 * Keeps a fault in place until `durationMs` after `since`. Not a wait for a result: how long an
 * outage lasts is part of the fault being tested.
 */
export async function holdFault(since: number, durationMs: number): Promise<void> {
  await sleep(Math.max(0, since + durationMs - Date.now()));
}
