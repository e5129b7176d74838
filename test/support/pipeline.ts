import { rmSync } from 'node:fs';
import { expect } from 'vitest';
import { createDatabase, type Database } from '@callpipe/db';
import type { Tally } from '@callpipe/simulator';
import { databaseUrlFor, uniqueQueuePrefix } from '@callpipe/testkit';
import type { Kysely } from 'kysely';
import { runCallpipe, waitForHttp, type CallpipeProcess } from './process.ts';
import { localServiceEnv } from './service-env.ts';

// A real `callpipe ingest` and `callpipe worker` on their own database and queue prefix, for the
// fault suites: they kill, restart and starve these processes and their servers.

export interface Pipeline {
  db: Kysely<Database>;
  env: Record<string, string>;
  ingest: CallpipeProcess;
  worker: CallpipeProcess;
  baseUrl: string;
  startIngest(): Promise<void>;
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface PipelineOptions {
  name: string;
  redisUrl: string;
  /** A PostgreSQL server URL; the pipeline migrates a database of its own there. */
  postgresServerUrl: string;
  /** Extra or overriding variables for both processes. */
  env?: Record<string, string>;
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { name } = options;
  const databaseUrl = databaseUrlFor(options.postgresServerUrl, `faults_${name.replace(/\W/g, '_')}_${Date.now()}`);
  const local = await localServiceEnv({
    redisUrl: options.redisUrl,
    databaseUrl,
    queuePrefix: uniqueQueuePrefix(name),
    spoolDirPrefix: 'callpipe-faults-spool-',
  });
  const env: Record<string, string> = {
    ...local.env,
    INGEST_ENQUEUE_TIMEOUT_MS: '1000',
    INGEST_SPOOL_DRAIN_INTERVAL_MS: '200',
    WORKER_RETRY_BASE_MS: '100',
    WORKER_RETRY_MAX_MS: '1000',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '2000',
    WORKER_SHUTDOWN_DEADLINE_MS: '10000',
    INGEST_SHUTDOWN_DEADLINE_MS: '10000',
    ...options.env,
  };
  const migrate = runCallpipe(['migrate'], env);
  expect(await migrate.exited, migrate.output()).toBe(0);
  const result: Pipeline = {
    db: createDatabase({ connectionString: databaseUrl, poolSize: 2 }),
    env,
    ingest: undefined as unknown as CallpipeProcess,
    worker: undefined as unknown as CallpipeProcess,
    baseUrl: `http://127.0.0.1:${local.ports.ingest}`,
    async startIngest() {
      result.ingest = runCallpipe(['ingest'], env);
      await waitForHttp(`http://127.0.0.1:${env['INGEST_ADMIN_PORT']}/readyz`, 30_000, result.ingest);
    },
    async startWorker() {
      result.worker = runCallpipe(['worker'], env);
      await waitForHttp(`http://127.0.0.1:${env['WORKER_ADMIN_PORT']}/healthz`, 30_000, result.worker);
    },
    async close() {
      await Promise.all([result.ingest.stop('SIGKILL'), result.worker.stop('SIGKILL')]);
      await result.db.destroy();
      rmSync(env['INGEST_SPOOL_DIR']!, { recursive: true, force: true });
    },
  };
  await Promise.all([result.startIngest(), result.startWorker()]);
  return result;
}

/** The summary table the fault suites print after their runs: lost and duplicated must be 0. */
export function printFaultSummary(rows: ReadonlyArray<Tally & { fault: string }>, title = 'fault-test summary'): void {
  const header = `${'fault'.padEnd(22)} ${'sent'.padStart(6)} ${'acked'.padStart(6)} ${'records'.padStart(8)} ${'stored'.padStart(6)} ${'lost'.padStart(5)} ${'duplicated'.padStart(10)}`;
  const lines = rows.map(
    (row) =>
      `${row.fault.padEnd(22)} ${String(row.sent).padStart(6)} ${String(row.acked).padStart(6)} ${String(row.expected).padStart(8)} ${String(row.stored).padStart(6)} ${String(row.lost).padStart(5)} ${String(row.duplicated).padStart(10)}`,
  );
  console.log(
    [
      '',
      `${title}: pushes sent, pushes acked (200), records those carried (a CDR push may carry several), records stored, lost and duplicated (both must be 0)`,
      header,
      ...lines,
      '',
    ].join('\n'),
  );
}
