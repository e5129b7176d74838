import { describe, expect, it } from 'vitest';
import { decideRecordingOutcome, type FailedAttempt, type OutcomePolicy } from './decide-outcome.ts';

const policy: OutcomePolicy = { maxAttempts: 5, retryBaseMs: 1_000, retryMaxMs: 60_000, random: () => 1 };
const now = new Date('2026-12-01T10:00:00Z');
const attempt = (overrides: Partial<FailedAttempt>): FailedAttempt => ({
  kind: 'transient',
  message: 'HTTP 503',
  attempts: 1,
  talkSeconds: 30,
  expiresAt: new Date('2026-12-08T10:00:00Z'),
  now,
  ...overrides,
});

describe('decideRecordingOutcome', () => {
  it.each([
    ['a transient error, first attempt', { kind: 'transient' }, 'retry'],
    ['a transient error, attempts used up', { kind: 'transient', attempts: 5 }, 'failed'],
    ['refused credentials', { kind: 'auth' }, 'retry'],
    ['refused credentials, attempts used up', { kind: 'auth', attempts: 5 }, 'failed'],
    ['a first 404', { kind: 'not_found' }, 'retry'],
    ['a third 404', { kind: 'not_found', attempts: 3 }, 'unavailable'],
    ['a 404 for a 2 s call', { kind: 'not_found', talkSeconds: 2 }, 'unavailable'],
    ['a 404 for a call of unknown length', { kind: 'not_found', talkSeconds: null }, 'retry'],
    ['a 410', { kind: 'gone' }, 'expired'],
    ['a permanent error', { kind: 'permanent' }, 'failed'],
  ] as const)('when the attempt met %s, then %s', (_label, overrides, expected) => {
    const decision = decideRecordingOutcome(attempt(overrides), policy);
    expect(decision.action === 'retry' ? 'retry' : decision.status).toBe(expected);
  });

  it('when retrying, then the delay is the capped exponential backoff of the attempt', () => {
    const at = (attempts: number) => {
      const decision = decideRecordingOutcome(attempt({ attempts }), policy);
      return decision.action === 'retry' ? decision.at.getTime() - now.getTime() : null;
    };
    expect([1, 2, 3, 4].map(at)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(decideRecordingOutcome(attempt({ attempts: 4 }), { ...policy, retryMaxMs: 3_000 })).toMatchObject({
      action: 'retry',
      at: new Date(now.getTime() + 3_000),
    });
  });

  it('when the backoff would pass the deadline, then the retry comes shortly before it instead', () => {
    const expiresAt = new Date(now.getTime() + 15 * 60_000);
    const decision = decideRecordingOutcome(attempt({ expiresAt }), { ...policy, retryBaseMs: 3_600_000, retryMaxMs: 3_600_000 });
    expect(decision).toMatchObject({ action: 'retry', at: new Date(expiresAt.getTime() - 10 * 60_000) });
  });

  it('when the reason is kept, then it names the cause', () => {
    expect(decideRecordingOutcome(attempt({ kind: 'auth', message: 'HTTP 401 1023006' }), policy)).toMatchObject({
      reason: 'credentials refused: HTTP 401 1023006',
    });
    expect(decideRecordingOutcome(attempt({ attempts: 5 }), policy)).toMatchObject({ reason: '5 attempts; last error: HTTP 503' });
  });
});
