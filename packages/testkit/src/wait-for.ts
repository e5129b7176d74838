export interface WaitForOptions {
  /** Gives up after this long; 15 s unless told. */
  timeoutMs?: number;
  /** Pause between two checks; 50 ms unless told. */
  intervalMs?: number;
  /** Named in the timeout error: "timed out waiting for <what>". */
  what?: string;
}

/**
 * Polls until `check` returns a truthy value and returns it; fails with the last value seen when
 * time runs out. An error thrown by `check` ends the wait at once (for example "the process
 * exited"), so a check that cannot succeed any more fails fast instead of timing out.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'}; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
