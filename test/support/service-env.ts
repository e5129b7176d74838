import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoAppKeys } from '@callpipe/fixtures';
import { freePort } from './process.ts';

export interface LocalServiceEnv {
  env: Record<string, string>;
  ports: { ingest: number; ingestAdmin: number; workerAdmin: number };
}

/**
 * The environment for a real `callpipe ingest` and `callpipe worker` on loopback, shared by the
 * fault suites and the benchmark: free ports, a fresh spool directory, the demo app businesses.
 */
export async function localServiceEnv(options: {
  redisUrl: string;
  databaseUrl: string;
  queuePrefix: string;
  spoolDirPrefix: string;
}): Promise<LocalServiceEnv> {
  const ports = { ingest: await freePort(), ingestAdmin: await freePort(), workerAdmin: await freePort() };
  return {
    ports,
    env: {
      REDIS_URL: options.redisUrl,
      DATABASE_URL: options.databaseUrl,
      CALLPIPE_QUEUE_PREFIX: options.queuePrefix,
      CALLPIPE_APP_BUSINESS: Object.entries(demoAppKeys)
        .map(([business, key]) => `${key}=${business}`)
        .join(','),
      LOG_LEVEL: 'warn',
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: String(ports.ingest),
      INGEST_ADMIN_HOST: '127.0.0.1',
      INGEST_ADMIN_PORT: String(ports.ingestAdmin),
      INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), options.spoolDirPrefix)),
      WORKER_ADMIN_HOST: '127.0.0.1',
      WORKER_ADMIN_PORT: String(ports.workerAdmin),
    },
  };
}
