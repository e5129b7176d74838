import { describe, expect, it } from 'vitest';
import { decideFailure, type FailureContext, type FailureDecision, type PushFailure } from './decide-failure.ts';

const outage = new Error('Connection terminated unexpectedly');
const badData = new Error('invalid input syntax for type bigint');
const otherBadData = new Error('value too long for type character varying(64)');
const isOutage = (error: unknown) => error === outage;
const policy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 60_000 };
const failure = (push: string, error: unknown): PushFailure<string> => ({ push, error });

function decide(overrides: Partial<FailureContext<string>>): FailureDecision<string> {
  return decideFailure<string>({
    failures: [failure('p1', badData)],
    batch: false,
    token: 'lock-token',
    attemptsMade: 0,
    attemptsStarted: 1,
    policy,
    isOutage,
    random: () => 1,
    ...overrides,
  });
}

describe('decideFailure', () => {
  const cases: Array<[string, Partial<FailureContext<string>>, FailureDecision<string>]> = [
    [
      'when a single push hits an outage and the job holds its lock token, then it is delayed',
      { failures: [failure('p1', outage)] },
      { action: 'delay', delayMs: 500, reason: outage.message },
    ],
    [
      'when an outage keeps the job delayed, then the delay grows with the started attempts, not the failed ones',
      { failures: [failure('p1', outage)], attemptsMade: 0, attemptsStarted: 4 },
      { action: 'delay', delayMs: 4_000, reason: outage.message },
    ],
    [
      'when an outage comes on what would be the last attempt, then it is still delayed, not a dead letter',
      { failures: [failure('p1', outage)], attemptsMade: 2, attemptsStarted: 9 },
      { action: 'delay', delayMs: 60_000, reason: outage.message },
    ],
    [
      'when a batch has mixed failures and one is an outage, then the whole job is delayed with the outage as reason',
      { batch: true, failures: [failure('p1', badData), failure('p2', outage)] },
      { action: 'delay', delayMs: 500, reason: outage.message },
    ],
    [
      'when an outage hits a job without a lock token, then it is retried like any failure',
      { failures: [failure('p1', outage)], token: undefined },
      { action: 'retry', attempt: 1, error: outage, reason: outage.message },
    ],
    [
      'when an outage hits a batch without a lock token, then the failed pushes are split off',
      { batch: true, token: undefined, failures: [failure('p1', outage), failure('p3', badData)] },
      { action: 'split', pushes: ['p1', 'p3'], reason: outage.message },
    ],
    [
      'when pushes of a batch fail for good, then exactly those are split off, with the first failure as reason',
      { batch: true, failures: [failure('p2', badData), failure('p5', otherBadData)] },
      { action: 'split', pushes: ['p2', 'p5'], reason: badData.message },
    ],
    [
      'when a batch fails on its last attempt, then it is still split, never a dead letter as a whole',
      { batch: true, attemptsMade: 2, failures: [failure('p1', badData)] },
      { action: 'split', pushes: ['p1'], reason: badData.message },
    ],
    [
      'when a single push fails with attempts left, then the error is rethrown for a retry',
      { attemptsMade: 1 },
      { action: 'retry', attempt: 2, error: badData, reason: badData.message },
    ],
    [
      'when a single push fails on its last attempt, then it becomes a dead letter',
      { attemptsMade: 2 },
      { action: 'dead-letter', attempt: 3, message: `gave up after 3 attempts: ${badData.message}`, reason: badData.message },
    ],
    [
      'when a single push fails past the configured attempts (the setting was lowered), then it becomes a dead letter',
      { attemptsMade: 7 },
      { action: 'dead-letter', attempt: 8, message: `gave up after 8 attempts: ${badData.message}`, reason: badData.message },
    ],
    [
      'when the failure is not an Error, then it is rethrown as is and logged coerced',
      { failures: [failure('p1', 'socket hang up')] },
      { action: 'retry', attempt: 1, error: 'socket hang up', reason: 'socket hang up' },
    ],
    [
      'when a non-Error fails for good, then the dead letter names it',
      { attemptsMade: 2, failures: [failure('p1', { detail: 'odd' })] },
      {
        action: 'dead-letter',
        attempt: 3,
        message: 'gave up after 3 attempts: non-error thrown: {"detail":"odd"}',
        reason: 'non-error thrown: {"detail":"odd"}',
      },
    ],
  ];

  it.each(cases)('%s', (_name, overrides, expected) => {
    expect(decide(overrides)).toEqual(expected);
  });

  it('jitters the outage delay between half and all of the ceiling', () => {
    const delayOf = (random: () => number) => {
      const decision = decide({ failures: [failure('p1', outage)], attemptsStarted: 3, random });
      return decision.action === 'delay' ? decision.delayMs : null;
    };
    expect(delayOf(() => 0)).toBe(1_000);
    expect(delayOf(() => 0.5)).toBe(1_500);
    expect(delayOf(() => 1)).toBe(2_000);
  });

  it('rethrows the very error the push failed with, so BullMQ records its stack', () => {
    const decision = decide({ failures: [failure('p1', badData), failure('p2', otherBadData)] });
    expect(decision.action === 'retry' && decision.error).toBe(badData);
  });
});
