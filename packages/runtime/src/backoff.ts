export interface BackoffOptions {
  /** Ceiling of the first retry's delay; it doubles with every further attempt. */
  baseMs: number;
  /** No delay exceeds this, however many attempts came before. */
  maxMs: number;
  /** In [0, 1); pass a fixed source to make the delay deterministic (tests). */
  random?: () => number;
}

/**
 * Capped exponential backoff for retry number `attempt` (1 = the first retry) with equal jitter:
 * a delay between half and all of `min(maxMs, baseMs * 2^(attempt - 1))`. Equal rather than full
 * jitter so a retry never comes almost at once (a Postgres or Redis that just went down is given
 * at least half the ceiling to come back), while callers that fail together still spread out.
 */
export function backoffDelayMs(attempt: number, { baseMs, maxMs, random = Math.random }: BackoffOptions): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
