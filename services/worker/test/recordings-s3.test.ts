import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { findRecording, type RecordingTask } from '@callpipe/db';
import { openObjectStore } from '@callpipe/object-store';
import { startFakeVoiceCallApi, startS3Server, waitFor } from '@callpipe/testkit';
import { pushJob, workerFixture } from './support.ts';
import { platformApps, recordedCdr, workerAppSecrets } from './recording-support.ts';

// Recordings kept in an S3 bucket (s3rver, a real S3-compatible server in its own process) through
// the same connection variables as the archive: the stored object is the platform's exact bytes,
// and a body cut short never becomes an object.
const api = await startFakeVoiceCallApi({ apps: platformApps, scenarios: { 'cut.wav': { kind: 'truncated', once: true } } });
const s3 = await startS3Server({ bucket: 'recordings-test' });
const STORE_URL = `s3://${s3.bucket}/voicecall`;
const fixture = workerFixture('recordings-s3', {
  CALLPIPE_RECORDINGS: 'on',
  CALLPIPE_HUAWEI_API_URL: api.url,
  CALLPIPE_RECORDINGS_URL: STORE_URL,
  AWS_ENDPOINT_URL_S3: s3.endpoint,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: s3.settings.accessKeyId!,
  AWS_SECRET_ACCESS_KEY: s3.settings.secretAccessKey!,
  CALLPIPE_ARCHIVE_S3_PATH_STYLE: 'true',
  INGEST_APP_SECRETS: workerAppSecrets,
  CALLPIPE_RECORDINGS_RETRY_BASE_MS: '40',
  CALLPIPE_RECORDINGS_RETRY_MAX_MS: '150',
  CALLPIPE_RECORDINGS_POLL_MS: '100',
});
const bucket = openObjectStore(STORE_URL, s3.settings);

afterAll(async () => {
  await bucket.close();
  await Promise.all([api.close(), s3.stop()]);
});

async function stored(sessionId: string): Promise<RecordingTask> {
  let task: RecordingTask | undefined;
  await waitFor(async () => (task = await findRecording(fixture.database.db, sessionId)) !== undefined && task.status !== 'pending', {
    what: `recording of ${sessionId} settled`,
    timeoutMs: 20_000,
  });
  return task!;
}

async function objectKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of bucket.list('')) keys.push(object.key);
  return keys;
}

describe('recordings in an S3 bucket', () => {
  it.each(['whole.wav', 'cut.wav'])(
    'when %s is downloaded, then the bucket holds its exact bytes under the stored location',
    async (fileName) => {
      const { sessionId, push } = recordedCdr(fileName);
      await fixture.queue.addBulk([pushJob(push)]);
      const task = await stored(sessionId);
      const expected = api.wav(fileName);
      expect(task).toMatchObject({ status: 'stored', bytes: String(expected.length), last_error: null });
      expect(task.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
      expect(task.stored_location).toMatch(new RegExp(`^s3://${s3.bucket}/voicecall/`));
      const key = task.stored_location!.slice(`${STORE_URL}/`.length);
      expect((await buffer(await bucket.get(key))).equals(expected)).toBe(true);
      // The truncated first copy (one more attempt) was never kept: one object per recording.
      expect(task.attempts).toBe(fileName === 'cut.wav' ? 2 : 1);
      expect((await objectKeys()).filter((candidate) => candidate.includes(fileName))).toEqual([key]);
    },
  );
});
