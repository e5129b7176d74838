import { createDatabase, hasCallTables, serverVersion } from '@callpipe/db';
import { createPushQueues, createRedisConnection, type PushQueue, type RedisClient } from '@callpipe/queue';
import type { CliIo, Outcome } from '../commands/context.ts';
import { overall, type CheckResult, type Db, type StatusCheck, type StatusContext } from './status/check.ts';
import { statusChecks } from './status/checks.ts';
import { parseStatusEnv, type StatusEnv } from './status/env.ts';
import { runChecks } from './status/run-checks.ts';

export interface StatusReport {
  status: CheckResult['status'];
  checkedAt: string;
  checks: CheckResult[];
}

export const status = (flags: { json?: true }, env: NodeJS.ProcessEnv, io: Pick<CliIo, 'out'>): Promise<Outcome> =>
  runStatus(parseStatusEnv(env), env, flags.json === true, io);

/**
 * `callpipe status`: every check at once, a table for people or one JSON object for scripts; exit 1
 * when any check needs action, so it can gate a deploy or page someone.
 */
export async function runStatus(
  config: StatusEnv,
  env: NodeJS.ProcessEnv,
  json: boolean,
  io: Pick<CliIo, 'out'>,
  checks: readonly StatusCheck[] = statusChecks,
  now = new Date(),
): Promise<number> {
  const connections = lazyConnections(config);
  try {
    const ctx: StatusContext = { config, env, now, postgres: connections.postgres, redis: connections.redis };
    const results = await runChecks(checks, ctx, connections);
    const report: StatusReport = { status: overall(results.map((check) => check.status)), checkedAt: now.toISOString(), checks: results };
    if (json) io.out(JSON.stringify(report));
    else for (const line of describeReport(report)) io.out(line);
    return report.status === 'action' ? 1 : 0;
  } finally {
    await connections.close();
  }
}

/** Each connection made on first use, checked once, and closed at the end whether or not it worked. */
function lazyConnections(config: StatusEnv) {
  let db: Db | null = null;
  let postgres: Promise<Db> | null = null;
  let redisClient: RedisClient | null = null;
  let queues: PushQueue[] = [];
  let redis: Promise<{ client: RedisClient; queues: PushQueue[] }> | null = null;
  const postgresOnce = () =>
    (postgres ??= (async () => {
      db = createDatabase({
        connectionString: config.DATABASE_URL,
        poolSize: 2,
        applicationName: 'callpipe-status',
        statementTimeoutMs: 10_000,
      });
      await serverVersion(db);
      return db;
    })());
  return {
    postgres: postgresOnce,
    tables: async () => hasCallTables(await postgresOnce()),
    redis: () =>
      (redis ??= (async () => {
        // Tried a few times, then the check reports Redis unreachable instead of waiting for it.
        const client = createRedisConnection(config.REDIS_URL, 'admin', {
          connectionName: 'callpipe-status',
          retryStrategy: (attempt) => (attempt > 3 ? null : 200),
        });
        redisClient = client;
        // The connection's own error (ECONNREFUSED, NOAUTH…) says more than the command's "Connection is closed".
        let lastError: Error | null = null;
        client.on('error', (error: Error) => (lastError = error));
        await client.ping().catch((error: unknown) => {
          throw lastError ?? error;
        });
        queues = createPushQueues(client, config.CALLPIPE_QUEUE_PREFIX, config.CALLPIPE_QUEUE_SHARDS);
        for (const queue of queues) queue.on('error', () => undefined);
        return { client, queues };
      })()),
    async close() {
      await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
      if (redisClient) await redisClient.quit().catch(() => redisClient?.disconnect());
      if (db) await db.destroy();
    },
  };
}

const MARK: Record<CheckResult['status'], string> = { ok: 'ok', warn: 'WARN', action: 'ACTION' };

export function describeReport(report: StatusReport): string[] {
  const width = Math.max(5, ...report.checks.map((check) => check.name.length));
  const counts = { action: 0, warn: 0, ok: 0 };
  for (const check of report.checks) counts[check.status] += 1;
  return [
    `callpipe status at ${report.checkedAt}`,
    `${'check'.padEnd(width)}  status  detail`,
    ...report.checks.map((check) => `${check.name.padEnd(width)}  ${MARK[check.status].padEnd(6)}  ${check.detail}`),
    report.status === 'action'
      ? `${counts.action} check(s) need action, ${counts.warn} warning(s): exit 1`
      : report.status === 'warn'
        ? `nothing needs action; ${counts.warn} warning(s)`
        : 'all checks ok',
  ];
}
