import { coerceError, maskPhoneNumbersIn } from '@callpipe/runtime';
import { result, type CheckResult, type Need, type StatusCheck, type StatusContext } from './check.ts';

/** Longest one check may take: status must answer even when a server accepts connections and then hangs. */
const CHECK_TIMEOUT_MS = 15_000;

/**
 * Runs every check concurrently. A check whose connection failed is not run (the redis or postgres
 * check says why); a check that throws or hangs is an `action` naming the failure; none stops the others.
 */
export async function runChecks(
  checks: readonly StatusCheck[],
  ctx: StatusContext,
  connections: { postgres: () => Promise<unknown>; redis: () => Promise<unknown>; tables: () => Promise<boolean> },
): Promise<CheckResult[]> {
  const failure = (error: unknown) => coerceError(error).message;
  const postgres = connections.postgres().then(() => null, failure);
  const reachable: Record<Need, Promise<string | null>> = {
    postgres,
    redis: connections.redis().then(() => null, failure),
    tables: postgres.then(async (problem) => problem ?? ((await connections.tables()) ? null : 'no call tables')),
  };
  const notChecked: Record<Need, string> = {
    postgres: 'Postgres is unreachable',
    redis: 'Redis is unreachable',
    tables: 'Postgres is unreachable, or the call tables do not exist yet (run `callpipe migrate`)',
  };
  return Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      for (const need of check.needs) {
        const problem = await reachable[need];
        if (problem === null) continue;
        if (check.name === need) return { name: check.name, ...result('action', `unreachable: ${maskPhoneNumbersIn(problem)}`) };
        return { name: check.name, ...result('warn', `not checked: ${notChecked[need]}`) };
      }
      try {
        return { name: check.name, ...(await withTimeout(check.run(ctx), CHECK_TIMEOUT_MS)) };
      } catch (error) {
        return { name: check.name, ...result('action', `the check failed: ${maskPhoneNumbersIn(coerceError(error).message)}`) };
      }
    }),
  );
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
