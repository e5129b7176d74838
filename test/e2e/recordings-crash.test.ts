import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { findRecording } from '@callpipe/db';
import { formatHuaweiTime } from '@callpipe/events';
import { createPushQueue, createRedisConnection, queuePrefix } from '@callpipe/queue';
import {
  startFakeVoiceCallApi,
  testContext,
  uniqueQueuePrefix,
  waitFor,
  type FakeVoiceCallApi,
  type TestDatabase,
} from '@callpipe/testkit';
import { freePort, runCallpipe, waitForHttp, type CallpipeProcess } from '../support/process.ts';

// A worker killed with SIGKILL in the middle of a recording's download: nothing is marked stored
// without the whole file, the task is not duplicated, and another worker takes it over once the
// lease has passed and stores the exact bytes.
const APP_KEY = 'RecCrashAppKey000000000000001';
const SECRET = 'recordingsCrashSecret0001';
const context = testContext();
const prefix = uniqueQueuePrefix('rec-crash');
const storeDir = mkdtempSync(join(tmpdir(), 'callpipe-rec-crash-'));
let database: TestDatabase;
let api: FakeVoiceCallApi;
const workers: CallpipeProcess[] = [];

beforeAll(async () => {
  database = await context.createDatabase();
  api = await startFakeVoiceCallApi({
    apps: { [APP_KEY]: SECRET },
    scenarios: { 'crash.wav': { kind: 'slow', once: true } },
    wavBytes: 256_044,
  });
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop('SIGKILL')));
  await api?.close();
  await database?.drop();
});

async function startWorker(): Promise<{ process: CallpipeProcess; admin: string }> {
  const port = await freePort();
  const worker = runCallpipe(['worker'], {
    DATABASE_URL: database.url,
    REDIS_URL: context.redisUrl,
    CALLPIPE_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    WORKER_ADMIN_HOST: '127.0.0.1',
    WORKER_ADMIN_PORT: String(port),
    CALLPIPE_RECORDINGS: 'on',
    CALLPIPE_HUAWEI_API_URL: api.url,
    CALLPIPE_RECORDINGS_URL: pathToFileURL(storeDir).href,
    INGEST_APP_SECRETS: JSON.stringify({ [APP_KEY]: { secrets: [SECRET] } }),
    CALLPIPE_RECORDINGS_LEASE_MS: '2000',
    CALLPIPE_RECORDINGS_POLL_MS: '200',
    CALLPIPE_RECORDINGS_IDLE_TIMEOUT_MS: '120000',
  });
  workers.push(worker);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 30_000, worker);
  return { process: worker, admin: `http://127.0.0.1:${port}` };
}

describe('recordings through a worker crash', () => {
  it('when the worker is killed mid-download, then the next worker stores the whole file once', async () => {
    const sessionId = `1201_crash_${randomUUID()}@callenabler.example.com`;
    const start = Date.now() - 60_000;
    const at = (seconds: number) => formatHuaweiTime(new Date(start + seconds * 1000));
    const record = {
      appKey: APP_KEY,
      sessionId,
      serviceType: '001',
      callOutStartTime: at(0),
      callOutAnswerTime: at(5),
      callEndTime: at(40),
      recordFlag: 1,
      recordObjectName: 'crash.wav',
      recordDomain: 'ostor.example.com',
    };
    const redis = createRedisConnection(context.redisUrl, 'worker');
    const queue = createPushQueue(redis, queuePrefix(prefix));
    try {
      const job = () => {
        const deliveryId = randomUUID();
        const data = {
          deliveryId,
          source: 'test',
          receivedAt: new Date().toISOString(),
          contentType: null,
          body: JSON.stringify({ eventType: 'fee', feeLst: [record] }),
          bodyEncoding: 'utf8' as const,
          rejection: null,
        };
        return { name: 'fee' as const, data, opts: { jobId: deliveryId } };
      };
      const first = await startWorker();
      await queue.addBulk([job(), job()]);
      await waitFor(() => api.requests.some((request) => request.kind === 'file' && request.fileName === 'crash.wav'), {
        what: 'the download under way',
        timeoutMs: 20_000,
      });
      expect(await first.process.stop('SIGKILL')).toBeNull();

      const during = await findRecording(database.db, sessionId);
      expect(during).toMatchObject({ status: 'pending', attempts: 1, bytes: null, stored_location: null });
      expect(during?.lease_owner).not.toBeNull();
      const kept = (await readdir(storeDir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      expect(kept.filter((entry) => !entry.name.includes('.partial-'))).toEqual([]);

      const second = await startWorker();
      await queue.add(job().name, job().data); // a redelivery after the restart changes nothing
      await waitFor(async () => (await findRecording(database.db, sessionId))?.status === 'stored', {
        what: 'the recording stored by the second worker',
        timeoutMs: 30_000,
      });
      const stored = (await findRecording(database.db, sessionId))!;
      const expected = api.wav('crash.wav');
      expect(stored).toMatchObject({
        attempts: 2,
        bytes: String(expected.length),
        sha256: createHash('sha256').update(expected).digest('hex'),
      });
      expect((await readFile(fileURLToPath(stored.stored_location!))).equals(expected)).toBe(true);
      const rows = await sql<{ n: string }>`SELECT count(*) AS n FROM recordings`.execute(database.db);
      expect(rows.rows[0]!.n).toBe('1');
      await waitFor(
        async () => /callpipe_recordings\{[^}]*status="stored"[^}]*\} 1\n/.test(await (await fetch(`${second.admin}/metrics`)).text()),
        {
          what: 'the stored recording in the metrics',
        },
      );
      const metrics = await (await fetch(`${second.admin}/metrics`)).text();
      expect(metrics).toMatch(/callpipe_recordings_downloads_total\{[^}]*outcome="stored"[^}]*\} 1/);
      expect(metrics).toMatch(/callpipe_recordings_pending_expiry_margin_seconds\{[^}]*\} 604800\n/);
      expect(await second.process.stop('SIGTERM')).toBe(0);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      await redis.quit();
    }
  });
});
