import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryableDatabaseError } from '@callpipe/db';
import { backoffDelayMs } from '@callpipe/runtime';

/**
 * Runs a transaction again after a failure Postgres may not repeat (deadlock with live workers,
 * restart, timeout). Safe for replay batches: their delivery ids make a committed batch a no-op.
 */
export async function withRetries<T>(action: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts || !isRetryableDatabaseError(error)) throw error;
      // Ceilings of 400 ms doubling to 5 s, jittered so a replay and the live workers that
      // deadlocked with it do not collide again at the same instant.
      await sleep(backoffDelayMs(attempt, { baseMs: 400, maxMs: 5_000 }));
    }
  }
}
