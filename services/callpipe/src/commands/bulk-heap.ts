/**
 * V8 heap flags for the bulk commands, which stream millions of records through short-lived
 * objects. With V8's defaults (a 16+ MiB semi-space, the old generation let grow up to four times
 * what survived the last full collection) a replay that holds about 45 MiB live peaks above
 * 400 MiB of RSS; with these it stays near 230 MiB, for about a quarter more CPU (BENCHMARKS.md,
 * "Replay memory"). A smaller semi-space only takes effect when the heap is created, so the
 * command restarts itself with them (`relaunchWithBulkHeap`).
 */
export const BULK_HEAP_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=75'] as const;

const TUNED_FLAG_NAMES = BULK_HEAP_FLAGS.map((flag) => flag.slice(0, flag.indexOf('=')));

/**
 * The argument vector to restart the process with, or null when it already runs with a choice
 * about these flags: its own (after the restart), or the operator's, on the command line or in
 * NODE_OPTIONS, which wins. (Node refuses `--heap-growing-percent` in NODE_OPTIONS; the semi-space
 * flag is the one an operator sets there.)
 */
export function bulkHeapArgv(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
  nodeOptions: string | undefined,
): string[] | null {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const chosen = given.some((arg) => TUNED_FLAG_NAMES.some((name) => arg === name || arg.startsWith(`${name}=`)));
  if (chosen) return null;
  return [execPath, ...BULK_HEAP_FLAGS, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces the process with itself under `BULK_HEAP_FLAGS`: same pid, same open descriptors
 * (standard input not yet read), same environment. Must run before the command reads anything.
 * Where `process.execve` does not exist (Node before 22.15, Windows) the command runs on as it is.
 */
export function relaunchWithBulkHeap(env: NodeJS.ProcessEnv): void {
  if (typeof process.execve !== 'function') return;
  const argv = bulkHeapArgv(process.execPath, process.execArgv, process.argv, env['NODE_OPTIONS']);
  if (argv) process.execve(process.execPath, argv, env);
}
