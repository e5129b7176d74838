import { backoffDelayMs } from '@callpipe/runtime';
import type { FetchErrorKind } from './fetch-error.ts';

/** Calls shorter than this have no downloadable recording (VoiceCall: "about 3 s"). */
export const SHORTEST_RECORDED_CALL_SECONDS = 3;

/** A 404 can come before the platform has the file ready; this many in a row and it has none. */
export const NOT_FOUND_ATTEMPTS = 3;

export interface OutcomePolicy {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  random?: () => number;
}

export interface FailedAttempt {
  kind: FetchErrorKind;
  message: string;
  /** Attempts made, this one included. */
  attempts: number;
  talkSeconds: number | null;
  expiresAt: Date;
  now: Date;
}

export type RecordingDecision =
  { action: 'retry'; at: Date; reason: string } | { action: 'settle'; status: 'failed' | 'unavailable' | 'expired'; reason: string };

/** Tries shortly before the deadline rather than after it, when the backoff would pass it. */
const LAST_CHANCE_BEFORE_EXPIRY_MS = 10 * 60 * 1000;

/** What to do after a failed attempt: one place for every case, table-tested. */
export function decideRecordingOutcome(attempt: FailedAttempt, policy: OutcomePolicy): RecordingDecision {
  const { kind, message, attempts } = attempt;
  if (kind === 'gone') return { action: 'settle', status: 'expired', reason: `the platform no longer has it: ${message}` };
  if (kind === 'permanent') return { action: 'settle', status: 'failed', reason: message };
  if (kind === 'not_found') {
    if (attempt.talkSeconds !== null && attempt.talkSeconds < SHORTEST_RECORDED_CALL_SECONDS)
      return {
        action: 'settle',
        status: 'unavailable',
        reason: `the call lasted ${attempt.talkSeconds} s, too short for a recording: ${message}`,
      };
    if (attempts >= NOT_FOUND_ATTEMPTS)
      return { action: 'settle', status: 'unavailable', reason: `the platform has no recording (${attempts} times): ${message}` };
  }
  if (attempts >= policy.maxAttempts)
    return {
      action: 'settle',
      status: 'failed',
      reason: `${attempts} attempts; ${kind === 'auth' ? 'credentials refused' : 'last error'}: ${message}`,
    };
  const delay = backoffDelayMs(attempts, { baseMs: policy.retryBaseMs, maxMs: policy.retryMaxMs, random: policy.random });
  let at = attempt.now.getTime() + delay;
  const lastChance = attempt.expiresAt.getTime() - LAST_CHANCE_BEFORE_EXPIRY_MS;
  if (at > lastChance) at = Math.max(attempt.now.getTime(), lastChance);
  return { action: 'retry', at: new Date(at), reason: kind === 'auth' ? `credentials refused: ${message}` : message };
}
