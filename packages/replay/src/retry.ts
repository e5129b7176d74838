import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryableDatabaseError } from '@callpipe/db';

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
      await sleep(Math.min(200 * 2 ** attempt, 5_000));
    }
  }
}
