import { randomBytes } from 'node:crypto';
import { signApiRequest } from '@callpipe/auth';
import { coerceError } from '@callpipe/runtime';
import { describeErrorBody, kindOfStatus, RecordingFetchError } from './fetch-error.ts';

export interface DownloadAddressRequest {
  /** The app access address (CALLPIPE_HUAWEI_API_URL). */
  apiUrl: string;
  /** CALLPIPE_RECORDINGS_API_PATH. */
  path: string;
  appKey: string;
  secret: string;
  fileName: string;
  recordDomain: string;
  signal: AbortSignal;
  now?: Date;
}

/** The request URL of "GetRecordingDownloadUrl": `{apiUrl}{path}?fileName=…&recordDomain=…`. */
export function downloadAddressUrl(apiUrl: string, path: string, fileName: string, recordDomain: string): URL {
  const url = new URL(apiUrl.replace(/\/+$/, '') + path);
  url.searchParams.set('fileName', fileName);
  url.searchParams.set('recordDomain', recordDomain);
  return url;
}

/**
 * Asks the platform where a recording can be downloaded (VoiceCall rtc_05_0011): a signed GET
 * answered with 301 and the address in `Location`. The redirect is not followed, so the address
 * can be fetched with its own timeouts (it points at object storage, not at the API).
 */
export async function requestDownloadAddress(request: DownloadAddressRequest): Promise<URL> {
  const url = downloadAddressUrl(request.apiUrl, request.path, request.fileName, request.recordDomain);
  const signed = signApiRequest({
    appKey: request.appKey,
    secret: request.secret,
    nonce: randomBytes(16).toString('hex'),
    created: request.now ?? new Date(),
  });
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'GET',
      redirect: 'manual',
      signal: request.signal,
      headers: { 'Content-Type': 'application/json;charset=UTF-8', Authorization: signed.authorization, 'X-AKSK': signed.xAksk },
    });
  } catch (error) {
    throw new RecordingFetchError('transient', `download address request failed: ${describeFetchFailure(error)}`, { cause: error });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (!location) throw new RecordingFetchError('transient', `the platform answered ${response.status} without a Location`);
    try {
      return new URL(location, url);
    } catch {
      throw new RecordingFetchError('transient', `the platform answered ${response.status} with an invalid Location`);
    }
  }
  const body = await readSomeText(response);
  if (response.status >= 200 && response.status < 300)
    throw new RecordingFetchError(
      'transient',
      `the platform answered ${response.status} instead of a redirect: ${describeErrorBody(body)}`,
    );
  throw new RecordingFetchError(kindOfStatus(response.status), `download address: HTTP ${response.status} ${describeErrorBody(body)}`, {
    status: response.status,
  });
}

/** At most 4 KiB of an error body: enough for the result code, bounded whatever is sent. */
export async function readSomeText(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 4096) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A broken error body still has its status.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, 4096).toString('utf8');
}

/** undici hides the reason in `cause`: "fetch failed" alone says nothing. */
export function describeFetchFailure(thrown: unknown): string {
  const error = coerceError(thrown);
  const cause = error.cause === undefined ? null : coerceError(error.cause);
  return cause && cause.message !== error.message ? `${error.message} (${cause.message})` : error.message;
}
