import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRecording } from '@callpipe/db';
import { formatHuaweiTime } from '@callpipe/events';
import { startFakeVoiceCallApi, testContext, type FakeVoiceCallApi, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const APP_KEY = 'RecCliAppKey00000000000000001';
const SECRET = 'recordingsCliSecret0001';
const context = testContext();
const dir = mkdtempSync(join(tmpdir(), 'callpipe-rec-cli-'));
let database: TestDatabase;
let api: FakeVoiceCallApi;
let env: Record<string, string>;

function cdr(sessionId: string, fileName: string, downloadUrl?: string): Record<string, unknown> {
  const start = Date.now() - 120_000;
  const at = (seconds: number) => formatHuaweiTime(new Date(start + seconds * 1000));
  return {
    appKey: APP_KEY,
    sessionId,
    serviceType: '001',
    callOutStartTime: at(0),
    callOutAnswerTime: at(5),
    callEndTime: at(65),
    recordFlag: 1,
    recordObjectName: fileName,
    recordDomain: 'ostor.example.com',
    ...(downloadUrl ? { recordFileDownloadUrl: downloadUrl } : {}),
  };
}

beforeAll(async () => {
  database = await context.createDatabase();
  api = await startFakeVoiceCallApi({ apps: { [APP_KEY]: SECRET }, scenarios: { 'cli-missing.wav': { kind: 'not_found' } } });
  env = {
    DATABASE_URL: database.url,
    CALLPIPE_HUAWEI_API_URL: api.url,
    CALLPIPE_RECORDINGS_URL: pathToFileURL(join(dir, 'store')).href,
    INGEST_APP_SECRETS: JSON.stringify({ [APP_KEY]: { secrets: [SECRET] } }),
    CALLPIPE_RECORDINGS_RETRY_BASE_MS: '10',
    CALLPIPE_RECORDINGS_RETRY_MAX_MS: '100',
    LOG_LEVEL: 'silent',
  };
  // Two recorded CDRs replayed by hand (the replay stores them, and creates their tasks).
  const file = join(dir, 'cdrs.json');
  writeFileSync(
    file,
    JSON.stringify({
      eventType: 'fee',
      feeLst: [cdr('cli-call-1@x', 'cli-1.wav', api.fileUrl('cli-1.wav')), cdr('cli-call-2@x', 'cli-missing.wav')],
    }),
  );
  const replayed = await callpipe(['replay', file], { DATABASE_URL: database.url });
  expect(replayed.code, replayed.stderr).toBe(0);
});
afterAll(async () => {
  await api?.close();
  await database?.drop();
});

describe('callpipe recordings', () => {
  it.each([
    [['recordings', '--help'], 'callpipe recordings [options] [command]'],
    [['recordings', 'status', '--help'], 'callpipe recordings status [options]'],
    [['recordings', 'fetch', '--help'], 'callpipe recordings fetch [options]'],
  ])('when given %j, then it prints its usage and reads nothing', async (args, usage) => {
    expectHelp(await callpipe(args, refusedEnv), usage);
  });

  it('when an option or its value is wrong, then it exits 2 naming the option', async () => {
    expectUsageError(await callpipe(['recordings', 'fetch', '--bogus'], env), "unknown option '--bogus'");
    expectUsageError(await callpipe(['recordings', 'fetch', '--since', 'last week'], env), '--since: must be an ISO time');
    expectUsageError(await callpipe(['recordings', 'status', 'extra'], env), "too many arguments for 'status'");
  });

  it('when the replayed CDRs are in, then status --json counts their pending tasks', async () => {
    const result = await callpipe(['recordings', 'status', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { byStatus: Record<string, number>; days: unknown[] };
    expect(report.byStatus).toEqual({ pending: 2, stored: 0, failed: 0, expired: 0, unavailable: 0 });
    expect(report.days).toHaveLength(1);
  });

  it('when a task is missing, then fetch --dry-run says what it would do and changes nothing', async () => {
    await database.db.deleteFrom('recordings').where('session_id', '=', 'cli-call-1@x').execute();
    const result = await callpipe(['recordings', 'fetch', '--dry-run', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, tasksCreated: 1, wouldFetch: ['cli-call-2@x'] });
    expect(await findRecording(database.db, 'cli-call-1@x')).toBeUndefined();
    expect(api.requests).toEqual([]);
  });

  it('when the store URL is missing, then fetch refuses naming the variable', async () => {
    const result = await callpipe(['recordings', 'fetch', '--session-id', 'cli-call-1@x'], { ...env, CALLPIPE_RECORDINGS_URL: '' });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('CALLPIPE_RECORDINGS_URL: recordings fetch needs a store');
  });

  it('when fetching one session, then its task is created again and the exact file stored', async () => {
    const result = await callpipe(['recordings', 'fetch', '--session-id', 'cli-call-1@x'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('recordings fetch: 1 tasks created, 0 failed ones reopened, 1 fetched: 1 stored\n');
    const task = (await findRecording(database.db, 'cli-call-1@x'))!;
    expect(task.status).toBe('stored');
    expect((await readFile(fileURLToPath(task.stored_location!))).equals(api.wav('cli-1.wav'))).toBe(true);
    expect((await findRecording(database.db, 'cli-call-2@x'))?.status).toBe('pending');
    // CALLPIPE_RECORDINGS_CDR_URLS is off: the CDR's own URL is not fetched, the signed API is asked.
    expect(api.requests.filter((request) => request.fileName === 'cli-1.wav').map((request) => request.kind)).toEqual(['api', 'file']);
  });

  it('when a recording is not found, then fetch reports it and status shows it', async () => {
    // Three 404s make it unavailable; each run is one attempt.
    for (let run = 0; run < 3; run += 1) await callpipe(['recordings', 'fetch', '--since', '2000-01-01T00:00:00Z'], env);
    expect((await findRecording(database.db, 'cli-call-2@x'))?.status).toBe('unavailable');
    const status = await callpipe(['recordings', 'status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^recordings: 0 pending, 1 stored, 0 failed, 0 expired, 1 unavailable\n/);
  });
});
