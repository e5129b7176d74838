import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@callpipe/db';
import { databaseUrlFor, dropDatabase, uniqueQueuePrefix } from '@callpipe/testkit/support';
import type { Kysely } from 'kysely';
import { freePort, runCallpipe, waitForHttp, type CallpipeProcess } from './process.ts';

export interface StartedPipeline {
  process: CallpipeProcess;
  /** The public push endpoint's base, e.g. `http://127.0.0.1:PORT`. */
  base: string;
  ports: { ingest: number; ingestAdmin: number; workerAdmin: number };
  databaseUrl: string;
  /** A connection to the pipeline's own database. */
  db: Kysely<Database>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The real entry point as a user runs it: `callpipe start` on loopback ports, migrating a database
 * that does not exist yet, with its own queue prefix and spool directory; resolves once both
 * services are ready. `stop` also drops the database and removes the spool.
 */
export async function startPipeline(options: {
  serverUrl: string;
  redisUrl: string;
  label: string;
  env?: Record<string, string>;
}): Promise<StartedPipeline> {
  const databaseName = `callpipe_${options.label}_${Date.now()}`;
  const databaseUrl = databaseUrlFor(options.serverUrl, databaseName);
  const spoolDir = mkdtempSync(join(tmpdir(), `callpipe-${options.label}-spool-`));
  const ports = { ingest: await freePort(), ingestAdmin: await freePort(), workerAdmin: await freePort() };
  const process = runCallpipe(['start'], {
    DATABASE_URL: databaseUrl,
    REDIS_URL: options.redisUrl,
    CALLPIPE_QUEUE_PREFIX: uniqueQueuePrefix(options.label),
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: String(ports.ingest),
    INGEST_ADMIN_HOST: '127.0.0.1',
    INGEST_ADMIN_PORT: String(ports.ingestAdmin),
    WORKER_ADMIN_HOST: '127.0.0.1',
    WORKER_ADMIN_PORT: String(ports.workerAdmin),
    LOG_LEVEL: 'info',
    INGEST_SPOOL_DIR: spoolDir,
    ...options.env,
  });
  await Promise.all([
    waitForHttp(`http://127.0.0.1:${ports.ingestAdmin}/readyz`, 30_000, process),
    waitForHttp(`http://127.0.0.1:${ports.workerAdmin}/readyz`, 30_000, process),
  ]).catch((error: unknown) => {
    throw new Error(`pipeline did not start: ${String(error)}\n${process.output()}`);
  });
  const db = createDatabase({ connectionString: databaseUrl, poolSize: 2 });
  return {
    process,
    base: `http://127.0.0.1:${ports.ingest}`,
    ports,
    databaseUrl,
    db,
    async stop(signal = 'SIGTERM') {
      await process.stop(signal);
      await db.destroy();
      await dropDatabase(options.serverUrl, databaseName);
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}
