import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { findRecording, type RecordingTask } from '@callpipe/db';
import { replay, reprocessCalls, resolveInputs } from '@callpipe/replay';
import { startFakeVoiceCallApi, waitFor } from '@callpipe/testkit';
import { pushJob, workerFixture } from './support.ts';
import { APP_KEY, platformApps, recordedCdr, temporaryStore, workerAppSecrets, WRONG_APP_KEY } from './recording-support.ts';

const api = await startFakeVoiceCallApi({
  apps: platformApps,
  scenarios: {
    'missing.wav': { kind: 'not_found' },
    'short.wav': { kind: 'not_found' },
    'gone.wav': { kind: 'expired' },
    'flaky.wav': { kind: 'server_error', times: 2 },
    'down.wav': { kind: 'server_error' },
    'slow.wav': { kind: 'slow', once: true },
    'truncated.wav': { kind: 'truncated', once: true },
  },
});
const store = temporaryStore('recordings');
const MAX_ATTEMPTS = 4;
const fixture = workerFixture('recordings', {
  CALLPIPE_RECORDINGS: 'on',
  CALLPIPE_HUAWEI_API_URL: api.url,
  CALLPIPE_RECORDINGS_URL: store.url,
  CALLPIPE_RECORDINGS_CDR_URLS: 'on',
  INGEST_APP_SECRETS: workerAppSecrets,
  CALLPIPE_RECORDINGS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  CALLPIPE_RECORDINGS_RETRY_BASE_MS: '40',
  CALLPIPE_RECORDINGS_RETRY_MAX_MS: '150',
  CALLPIPE_RECORDINGS_IDLE_TIMEOUT_MS: '400',
  CALLPIPE_RECORDINGS_POLL_MS: '100',
  CALLPIPE_RECORDINGS_LEASE_MS: '3000',
});

afterAll(async () => {
  await api.close();
});

async function deliver(push: ReturnType<typeof recordedCdr>['push'], times = 1): Promise<void> {
  await fixture.queue.addBulk(Array.from({ length: times }, () => pushJob(push)));
}

async function settled(sessionId: string): Promise<RecordingTask> {
  let task: RecordingTask | undefined;
  await waitFor(async () => (task = await findRecording(fixture.database.db, sessionId)) !== undefined && task.status !== 'pending', {
    what: `recording of ${sessionId} settled`,
    timeoutMs: 20_000,
  });
  return task!;
}

async function expectStoredExactly(task: RecordingTask, fileName: string): Promise<void> {
  const expected = api.wav(fileName);
  expect(task).toMatchObject({ status: 'stored', bytes: String(expected.length), last_error: null });
  expect(task.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
  expect(task.stored_at).not.toBeNull();
  const bytes = await readFile(fileURLToPath(task.stored_location!));
  expect(bytes.equals(expected)).toBe(true);
}

async function recordingRows(sessionId: string): Promise<number> {
  const result = await sql<{ n: string }>`SELECT count(*) AS n FROM recordings WHERE session_id = ${sessionId}`.execute(
    fixture.database.db,
  );
  return Number(result.rows[0]!.n);
}

describe('recordings', () => {
  it('when a CDR with a recording is pushed three times, then one task stores the exact file once', async () => {
    const { sessionId, push } = recordedCdr('ok.wav');
    await deliver(push, 3);
    const task = await settled(sessionId);
    await expectStoredExactly(task, 'ok.wav');
    expect(task.attempts).toBe(1);
    expect(await recordingRows(sessionId)).toBe(1);
    expect(new Date(task.expires_at).getTime() - new Date(task.first_seen_at).getTime()).toBe(7 * 86_400_000);
    expect(api.requests.filter((request) => request.kind === 'file' && request.fileName === 'ok.wav')).toHaveLength(1);
  });

  it('when the stored CDR is redelivered, replayed and reprocessed, then its task is neither duplicated nor reset', async () => {
    const { sessionId, push } = recordedCdr('again.wav');
    await deliver(push);
    const before = await settled(sessionId);
    expect(before.status).toBe('stored');

    await deliver(push, 2);
    const file = join(tmpdir(), `callpipe-recordings-replay-${process.pid}.json`);
    await writeFile(file, JSON.stringify(push));
    const summary = await replay(fixture.database.db, await resolveInputs([file], Readable.from([])), { businessByAppKey: new Map() });
    expect(summary.stored?.cdrsRedelivered).toBe(1);
    await reprocessCalls(fixture.database.db, {}, { businessByAppKey: new Map([[APP_KEY, 'notify']]) });
    await waitFor(
      async () =>
        Number(
          (await fixture.database.db.selectFrom('cdrs').select('delivery_count').where('session_id', '=', sessionId).executeTakeFirst())
            ?.delivery_count,
        ) === 4,
      { what: 'the redeliveries and the replay counted', timeoutMs: 20_000 },
    );
    expect(await recordingRows(sessionId)).toBe(1);
    expect(await findRecording(fixture.database.db, sessionId)).toEqual(before);
  });

  it('when the CDR has no recording flag, then no task is created', async () => {
    const { sessionId, push } = recordedCdr('unflagged.wav');
    (push.feeLst[0] as Record<string, unknown>)['recordFlag'] = 0;
    await deliver(push);
    await waitFor(
      async () =>
        (await fixture.database.db.selectFrom('cdrs').select('session_id').where('session_id', '=', sessionId).execute()).length === 1,
      {
        what: 'CDR stored',
      },
    );
    expect(await recordingRows(sessionId)).toBe(0);
  });

  it('when the platform answers 503 twice, then the third attempt stores the file', async () => {
    const { sessionId, push } = recordedCdr('flaky.wav');
    await deliver(push);
    const task = await settled(sessionId);
    await expectStoredExactly(task, 'flaky.wav');
    expect(task.attempts).toBe(3);
  });

  it('when the platform keeps answering 503, then the task fails after its attempts with the reason', async () => {
    const { sessionId, push } = recordedCdr('down.wav');
    await deliver(push);
    const task = await settled(sessionId);
    expect(task).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, bytes: null, stored_location: null });
    expect(task.last_error).toContain('HTTP 503 1000001 service unavailable');
  });

  it('when the body stalls, then the download is cut off, nothing partial is kept, and a retry stores the whole file', async () => {
    const { sessionId, push } = recordedCdr('slow.wav');
    await deliver(push);
    const task = await settled(sessionId);
    await expectStoredExactly(task, 'slow.wav');
    expect(task.attempts).toBe(2);
    expect((await store.files()).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  it('when the body is shorter than its Content-Length, then it is not stored until a whole copy arrives', async () => {
    const { sessionId, push } = recordedCdr('truncated.wav');
    await deliver(push);
    const task = await settled(sessionId);
    await expectStoredExactly(task, 'truncated.wav');
    expect(task.attempts).toBe(2);
    expect((await store.files()).filter((name) => name.includes('.partial-'))).toEqual([]);
  });

  it('when the platform has no such recording, then the task is unavailable after a few tries', async () => {
    const { sessionId, push } = recordedCdr('missing.wav');
    await deliver(push);
    const task = await settled(sessionId);
    expect(task).toMatchObject({ status: 'unavailable', attempts: 3 });
    expect(task.last_error).toContain('HTTP 404');
  });

  it('when a call under 3 s has no recording, then the task is unavailable at once', async () => {
    const { sessionId, push } = recordedCdr('short.wav', { talkSeconds: 1 });
    await deliver(push);
    const task = await settled(sessionId);
    expect(task).toMatchObject({ status: 'unavailable', attempts: 1 });
    expect(task.last_error).toContain('too short');
  });

  it('when the platform says the recording was deleted, then the task is expired', async () => {
    const { sessionId, push } = recordedCdr('gone.wav');
    await deliver(push);
    const task = await settled(sessionId);
    expect(task).toMatchObject({ status: 'expired', attempts: 1 });
    expect(task.last_error).toContain('410');
  });

  it('when the deadline passes while the task is pending, then it is expired with its last error', async () => {
    const { sessionId, push } = recordedCdr('late.wav');
    api.setScenario('late.wav', { kind: 'server_error' });
    await deliver(push);
    await waitFor(async () => ((await findRecording(fixture.database.db, sessionId))?.attempts ?? 0) >= 1, {
      what: 'a first attempt',
      timeoutMs: 20_000,
    });
    await fixture.database.db
      .updateTable('recordings')
      .set({ expires_at: sql<string>`now()` })
      .where('session_id', '=', sessionId)
      .execute();
    const task = await settled(sessionId);
    expect(task.status).toBe('expired');
    expect(task.last_error).toContain('not stored before the platform deleted it');
  });

  it('when the app secret is wrong, then the platform refuses the digest and the tasks fail as refused without a storm', async () => {
    const cdrs = Array.from({ length: 3 }, (_, index) => recordedCdr(`wrong-${index}.wav`, { appKey: WRONG_APP_KEY }));
    for (const { push } of cdrs) await deliver(push);
    const tasks = await Promise.all(cdrs.map(({ sessionId }) => settled(sessionId)));
    for (const task of tasks) {
      expect(task.status).toBe('failed');
      expect(task.last_error).toContain('credentials refused');
      expect(task.last_error).toContain('1023006');
    }
    const refused = api.requests.filter((request) => request.fileName.startsWith('wrong-'));
    expect(refused.every((request) => request.status === 401 && request.refusal === 'PasswordDigest does not match')).toBe(true);
    expect(refused).toHaveLength(tasks.reduce((sum, task) => sum + task.attempts, 0));
  });

  it('when the app has no secret configured, then the task fails at once without asking the platform', async () => {
    const { sessionId, push } = recordedCdr('nosecret.wav', { appKey: 'UnknownAppKey00000000000000009' });
    await deliver(push);
    const task = await settled(sessionId);
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task.last_error).toContain('no secret for app key UnknownAppKey00000000000000009');
    expect(api.requests.some((request) => request.fileName === 'nosecret.wav')).toBe(false);
  });

  it('when the CDR has a download URL, then it is used directly', async () => {
    const { sessionId, push } = recordedCdr('direct.wav', { downloadUrl: api.fileUrl('direct.wav') });
    await deliver(push);
    await expectStoredExactly(await settled(sessionId), 'direct.wav');
    expect(api.requests.filter((request) => request.fileName === 'direct.wav').map((request) => request.kind)).toEqual(['file']);
  });

  it('when the CDR has neither recordDomain nor a download URL, then the task fails at once saying so', async () => {
    const { sessionId, push } = recordedCdr('nodomain.wav', { recordDomain: null });
    await deliver(push);
    const task = await settled(sessionId);
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task.last_error).toContain('neither recordDomain nor recordFileDownloadUrl');
  });

  it('when the CDR download URL is refused, then the API gives the address', async () => {
    const { sessionId, push } = recordedCdr('via-api.wav', { downloadUrl: `${api.url}/nowhere/via-api.wav` });
    await deliver(push);
    await expectStoredExactly(await settled(sessionId), 'via-api.wav');
    expect(api.requests.filter((request) => request.fileName === 'via-api.wav').map((request) => request.kind)).toEqual(['api', 'file']);
  });
});
