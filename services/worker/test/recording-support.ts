import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatHuaweiTime } from '@callpipe/events';
import type { FeePush } from '@callpipe/fixtures';

export const APP_KEY = 'RecDemoAppKey0000000000000001';
export const APP_SECRET = 'recordingsDemoSecret0001';
/** An app whose secret the worker has wrong: the fake refuses its signatures. */
export const WRONG_APP_KEY = 'RecDemoAppKey0000000000000002';

/** `INGEST_APP_SECRETS` as the worker reads it. */
export const workerAppSecrets = JSON.stringify({
  [APP_KEY]: { secrets: [APP_SECRET] },
  [WRONG_APP_KEY]: { secrets: ['notTheSecretThePlatformHas'] },
});
/** What the fake platform accepts. */
export const platformApps = { [APP_KEY]: APP_SECRET, [WRONG_APP_KEY]: 'theSecretThePlatformHas0002' };

export interface RecordedCdrOptions {
  appKey?: string;
  talkSeconds?: number;
  downloadUrl?: string;
  recordDomain?: string | null;
}

/** A voice notification CDR with a recording of `fileName`; the session id is unique per call. */
export function recordedCdr(fileName: string, options: RecordedCdrOptions = {}): { sessionId: string; push: FeePush } {
  const sessionId = `1201_rec_${randomUUID()}@callenabler.example.com`;
  const talk = options.talkSeconds ?? 30;
  const start = Date.now() - (talk + 20) * 1000;
  const at = (offsetSeconds: number) => formatHuaweiTime(new Date(start + offsetSeconds * 1000));
  const record: Record<string, unknown> = {
    direction: 0,
    spId: 'sp_demo_0001',
    appKey: options.appKey ?? APP_KEY,
    sessionId,
    callerNum: '+8657188880000',
    calleeNum: '+8613800000000',
    serviceType: '001',
    callOutStartTime: at(0),
    callOutAlertingTime: at(2),
    callOutAnswerTime: at(5),
    callEndTime: at(5 + talk),
    recordFlag: 1,
    recordStartTime: at(5),
    recordObjectName: fileName,
    recordBucketName: 'sp-demo0001',
    ...(options.recordDomain === null ? {} : { recordDomain: options.recordDomain ?? 'ostor.example.com' }),
    ...(options.downloadUrl ? { recordFileDownloadUrl: options.downloadUrl } : {}),
  };
  return { sessionId, push: { eventType: 'fee', feeLst: [record] } };
}

/** A fresh folder as a `file://` store URL, and a way to list what lies in it (temporary files too). */
export function temporaryStore(label: string): { url: string; files: () => Promise<string[]> } {
  const dir = mkdtempSync(join(tmpdir(), `callpipe-${label}-`));
  return {
    url: pathToFileURL(dir).href,
    files: async () => (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name),
  };
}
