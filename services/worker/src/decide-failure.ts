import { retryDelayMs, type RetryPolicy } from '@callpipe/queue';
import { coerceError } from '@callpipe/runtime';

/** A push of the job whose store failed, with what it failed with. */
export interface PushFailure<P> {
  push: P;
  error: unknown;
}

export interface FailureContext<P> {
  /** At least one: a job without failures has nothing to decide. */
  failures: readonly [PushFailure<P>, ...PushFailure<P>[]];
  /** The job carries several pushes (a batch job), each with its own delivery id. */
  batch: boolean;
  /** The job's lock token; without it the job cannot be moved to the delayed set by hand. */
  token: string | undefined;
  /** BullMQ's `attemptsMade`: failed attempts before this one. */
  attemptsMade: number;
  /** BullMQ's `attemptsStarted`: counts delayed runs too, so outage delays keep growing. */
  attemptsStarted: number;
  policy: RetryPolicy;
  /** True for a failure that is not the push's fault (an outage): see isRetryableDatabaseError. */
  isOutage: (error: unknown) => boolean;
  random?: () => number;
}

/** What processJob does with a job some of whose pushes failed; `reason` is the message to log. */
export type FailureDecision<P> =
  /** Move the job to the delayed set without using an attempt. */
  | { action: 'delay'; delayMs: number; reason: string }
  /** Queue the failed pushes again as jobs of their own; the batch job itself completes. */
  | { action: 'split'; pushes: P[]; reason: string }
  /** Rethrow `error`, so BullMQ retries the job with its backoff. */
  | { action: 'retry'; attempt: number; error: unknown; reason: string }
  /** Fail for good (UnrecoverableError with `message`): the job stays as a dead letter. */
  | { action: 'dead-letter'; attempt: number; message: string; reason: string };

export function decideFailure<P>(context: FailureContext<P>): FailureDecision<P> {
  const { failures, policy } = context;
  const outage = failures.find((failure) => context.isOutage(failure.error));
  if (outage && context.token) {
    // An outage is not the push's fault: wait it out without using up the job's attempts, so
    // nothing becomes a dead letter just because Postgres was down for a while. Pushes of the
    // job that were already stored are skipped on the next run (exactly once per delivery id).
    return {
      action: 'delay',
      delayMs: retryDelayMs(context.attemptsStarted, policy, context.random),
      reason: coerceError(outage.error).message,
    };
  }
  const first = failures[0];
  const reason = coerceError(first.error).message;
  if (context.batch) {
    // A push that fails for good must not hold its neighbours back or make them dead letters:
    // it goes back to the queue as a job of its own, which retries and dead-letters alone.
    return { action: 'split', pushes: failures.map(({ push }) => push), reason };
  }
  const attempt = context.attemptsMade + 1;
  if (attempt < policy.attempts) return { action: 'retry', attempt, error: first.error, reason };
  return { action: 'dead-letter', attempt, message: `gave up after ${attempt} attempts: ${reason}`, reason };
}
