import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { RecordingTask } from '@callpipe/db';
import { ObjectLengthMismatchError, type ObjectStore, type StoredObject } from '@callpipe/object-store';
import type { AppSecrets } from '@callpipe/runtime';
import { kindOfStatus, RecordingFetchError } from './fetch-error.ts';
import { describeFetchFailure, readSomeText, requestDownloadAddress } from './platform-api.ts';

export interface DownloadSettings {
  store: ObjectStore;
  apiUrl: string;
  apiPath: string;
  appSecrets: AppSecrets;
  timeoutMs: number;
  idleTimeoutMs: number;
  /** Fetch the CDR's recordFileDownloadUrl when it has one (CALLPIPE_RECORDINGS_CDR_URLS). */
  useCdrUrls: boolean;
}

/** Where a recording is kept: `<day first received>/<session id>/<file name>`, each segment safe for files and S3. */
export function recordingKey(task: Pick<RecordingTask, 'session_id' | 'object_name' | 'first_seen_at'>): string {
  const day = new Date(task.first_seen_at).toISOString().slice(0, 10);
  return [day, safeSegment(task.session_id), safeSegment(task.object_name)].join('/');
}

function safeSegment(text: string): string {
  const encoded = encodeURIComponent(text);
  return encoded === '.' || encoded === '..' ? `_${encoded}` : encoded;
}

/**
 * Copies one recording into the store: from the CDR's `recordFileDownloadUrl` when it has one and
 * those are allowed (and,
 * should that link be refused or gone, through the API), otherwise from the address the platform's
 * API gives. The body streams into the store, which keeps it only if it is whole: exactly the
 * announced length, never cut short by a stall, the timeout or an abort.
 */
export async function downloadRecording(task: RecordingTask, settings: DownloadSettings, signal: AbortSignal): Promise<StoredObject> {
  const key = recordingKey(task);
  if (task.download_url && settings.useCdrUrls) {
    try {
      return await downloadInto(new URL(task.download_url), key, settings, signal);
    } catch (error) {
      const linkRefused = error instanceof RecordingFetchError && ['auth', 'not_found', 'gone'].includes(error.kind);
      if (!linkRefused || !task.record_domain) throw error;
    }
  }
  if (!task.record_domain)
    throw new RecordingFetchError(
      'permanent',
      task.download_url
        ? 'the CDR has no recordDomain to ask the platform with, and CALLPIPE_RECORDINGS_CDR_URLS=off leaves its recordFileDownloadUrl unused'
        : 'the CDR has neither recordDomain nor recordFileDownloadUrl: nothing to ask the platform for',
    );
  if (!task.app_key) throw new RecordingFetchError('permanent', 'the CDR has no appKey: no credentials to ask the platform with');
  const app = settings.appSecrets.get(task.app_key);
  if (!app) throw new RecordingFetchError('permanent', `no secret for app key ${task.app_key} in INGEST_APP_SECRETS(_FILE)`);
  const address = await requestDownloadAddress({
    apiUrl: settings.apiUrl,
    path: settings.apiPath,
    appKey: task.app_key,
    secret: app.secrets[0]!,
    fileName: task.object_name,
    recordDomain: task.record_domain,
    // The API answers at once or not at all: it gets the idle timeout, not the whole download's.
    signal: AbortSignal.any([signal, AbortSignal.timeout(Math.min(settings.timeoutMs, settings.idleTimeoutMs))]),
  });
  return downloadInto(address, key, settings, signal);
}

async function downloadInto(url: URL, key: string, settings: DownloadSettings, signal: AbortSignal): Promise<StoredObject> {
  const stall = new AbortController();
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const combined = AbortSignal.any([signal, stall.signal, deadline]);
  const reason = (error: unknown): unknown => {
    if (signal.aborted) return signal.reason;
    if (stall.signal.aborted) return new RecordingFetchError('transient', `download stalled: no bytes for ${settings.idleTimeoutMs} ms`);
    if (deadline.aborted) return new RecordingFetchError('transient', `download took longer than ${settings.timeoutMs} ms`);
    if (error instanceof RecordingFetchError) return error;
    if (error instanceof ObjectLengthMismatchError)
      return new RecordingFetchError('transient', `download cut short: ${error.actualBytes} of ${error.expectedBytes} bytes`);
    return new RecordingFetchError('transient', `download failed: ${describeFetchFailure(error)}`, { cause: error });
  };

  let idle: NodeJS.Timeout | undefined;
  const resetIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => stall.abort(), settings.idleTimeoutMs);
  };
  try {
    resetIdle();
    const response = await fetch(url, { signal: combined });
    if (response.status !== 200) {
      const text = await readSomeText(response);
      throw new RecordingFetchError(
        kindOfStatus(response.status),
        `download: HTTP ${response.status} ${text.slice(0, 200).trim()}`.trim(),
        {
          status: response.status,
        },
      );
    }
    if (!response.body) throw new RecordingFetchError('transient', 'download: the answer has no body');
    const length = response.headers.get('content-length');
    const expectedBytes = length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
    const watched = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        resetIdle();
        callback(null, chunk);
      },
    });
    // pipeline destroys `watched` with the source's error, so the store sees every failure.
    pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), watched).catch(() => undefined);
    return await settings.store.put(key, watched, {
      contentType: response.headers.get('content-type') ?? 'audio/wav',
      ...(expectedBytes === undefined ? {} : { expectedBytes }),
    });
  } catch (error) {
    throw reason(error);
  } finally {
    clearTimeout(idle);
  }
}
