import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeDigest, parseAkskHeaders, parseCreated } from '@callpipe/auth';

/**
 * How the fake answers for one file name:
 * - `ok`: 301 to its own `/files/<name>`, which serves the WAV;
 * - `not_found`: 404 from the API;
 * - `expired`: 410 from the API, the platform's copy was deleted;
 * - `server_error`: 503 from the API, `times` times (forever without), then as `ok`;
 * - `slow`: the file sends its first bytes, then nothing for `stallMs` (forever without), then the rest;
 * - `truncated`: the file announces its whole length, sends half and closes the connection.
 * `once: true` makes a scenario apply to the first request only, then `ok`.
 */
export type FakeRecordingScenario =
  | { kind: 'ok' }
  | { kind: 'not_found' }
  | { kind: 'expired' }
  | { kind: 'server_error'; times?: number }
  | { kind: 'slow'; stallMs?: number; once?: boolean }
  | { kind: 'truncated'; once?: boolean };

export interface FakeVoiceCallApiOptions {
  /** appKey → secret the API accepts signatures of. */
  apps: Record<string, string>;
  path?: string;
  /** Per file name; the rest are `ok`. */
  scenarios?: Record<string, FakeRecordingScenario>;
  /** Bytes of every served WAV (header included). */
  wavBytes?: number;
  maxSkewSeconds?: number;
}

export interface FakeApiRequest {
  kind: 'api' | 'file';
  fileName: string;
  status: number;
  /** For API requests: why it was refused, when it was. */
  refusal?: string;
}

export interface FakeVoiceCallApi {
  /** The app access address to configure (CALLPIPE_HUAWEI_API_URL). */
  readonly url: string;
  readonly path: string;
  /** Every request answered, in order. */
  readonly requests: FakeApiRequest[];
  /** The exact bytes served for a file name. */
  wav(fileName: string): Buffer;
  /** The download address the API would redirect to (usable as a CDR's recordFileDownloadUrl). */
  fileUrl(fileName: string): string;
  setScenario(fileName: string, scenario: FakeRecordingScenario): void;
  /** Ends stalled bodies too. */
  close(): Promise<void>;
}

const CONTENT_TYPE = 'application/json;charset=UTF-8';

/**
 * A local stand-in for VoiceCall's "GetRecordingDownloadUrl" (rtc_05_0011) and the object storage
 * it redirects to, for tests: a real HTTP server on 127.0.0.1 that checks the request as the
 * platform documents it (Content-Type, the AKSK Authorization, X-AKSK with a digest over
 * Nonce + Created under the app's secret, Created within the skew) and refuses anything else with
 * 401 and a result code body.
 */
export async function startFakeVoiceCallApi(options: FakeVoiceCallApiOptions): Promise<FakeVoiceCallApi> {
  const path = options.path ?? '/rest/provision/voice/record/v1.0';
  const scenarios = new Map(Object.entries(options.scenarios ?? {}));
  const served = new Map<string, number>();
  const requests: FakeApiRequest[] = [];
  const wavBytes = options.wavBytes ?? 48_044;
  const maxSkewMs = (options.maxSkewSeconds ?? 300) * 1000;
  const stalls = new Set<NodeJS.Timeout>();
  let base = '';

  const json = (response: ServerResponse, status: number, resultcode: string, resultdesc: string) => {
    response.writeHead(status, { 'Content-Type': CONTENT_TYPE });
    response.end(JSON.stringify({ resultcode, resultdesc }));
  };

  const refuseSignature = (request: IncomingMessage): string | null => {
    const parsed = parseAkskHeaders(header(request, 'authorization'), header(request, 'x-aksk'));
    if (!parsed.ok) return parsed.message;
    const secret = options.apps[parsed.value.username];
    if (secret === undefined) return `unknown app key ${parsed.value.username}`;
    const created = parseCreated(parsed.value.created);
    if (!created || Math.abs(Date.now() - created.getTime()) > maxSkewMs) return 'Created is not within the allowed skew';
    const expected = computeDigest('nonce_created', { secret, url: '', nonce: parsed.value.nonce, created: parsed.value.created });
    return expected === parsed.value.passwordDigest ? null : 'PasswordDigest does not match';
  };

  const answerApi = (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const fileName = url.searchParams.get('fileName') ?? '';
    const log = (status: number, refusal?: string) => requests.push({ kind: 'api', fileName, status, ...(refusal ? { refusal } : {}) });
    if (header(request, 'content-type')?.replace(/\s/g, '').toLowerCase() !== CONTENT_TYPE.toLowerCase()) {
      log(400, 'Content-Type');
      return json(response, 400, '1010001', 'Content-Type must be application/json;charset=UTF-8');
    }
    if (!header(request, 'authorization')) {
      log(401, 'no Authorization');
      return json(response, 401, '1023006', 'Authorization not contained in the HTTP header');
    }
    const refusal = refuseSignature(request);
    if (refusal) {
      log(401, refusal);
      return json(response, 401, '1023006', `authentication failed: ${refusal}`);
    }
    if (!fileName || !url.searchParams.get('recordDomain')) {
      log(400, 'parameters');
      return json(response, 400, '1010002', 'fileName and recordDomain are required');
    }
    const scenario = scenarios.get(fileName) ?? { kind: 'ok' };
    if (scenario.kind === 'not_found') {
      log(404);
      return json(response, 404, '1010404', 'record file does not exist');
    }
    if (scenario.kind === 'expired') {
      log(410);
      return json(response, 410, '1010410', 'record file has expired');
    }
    if (scenario.kind === 'server_error') {
      const left = scenario.times ?? Number.POSITIVE_INFINITY;
      if (left > 0) {
        scenarios.set(fileName, { kind: 'server_error', times: left - 1 });
        log(503);
        return json(response, 503, '1000001', 'service unavailable');
      }
    }
    log(301);
    response.writeHead(301, { Location: `${base}/files/${encodeURIComponent(fileName)}` });
    response.end();
  };

  const answerFile = (response: ServerResponse, fileName: string) => {
    const body = wavFor(fileName, wavBytes);
    const count = (served.get(fileName) ?? 0) + 1;
    served.set(fileName, count);
    requests.push({ kind: 'file', fileName, status: 200 });
    let scenario = scenarios.get(fileName) ?? { kind: 'ok' };
    if ((scenario.kind === 'slow' || scenario.kind === 'truncated') && scenario.once && count > 1) scenario = { kind: 'ok' };
    response.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(body.length) });
    const half = Math.floor(body.length / 2);
    if (scenario.kind === 'truncated') {
      response.write(body.subarray(0, half), () => response.destroy());
      return;
    }
    if (scenario.kind === 'slow') {
      response.write(body.subarray(0, half));
      if (scenario.stallMs === undefined) return; // until the client gives up or the fake closes
      const timer = setTimeout(() => {
        stalls.delete(timer);
        response.end(body.subarray(half));
      }, scenario.stallMs);
      stalls.add(timer);
      return;
    }
    response.end(body);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.method === 'GET' && url.pathname === path) return answerApi(request, response, url);
    if (request.method === 'GET' && url.pathname.startsWith('/files/'))
      return answerFile(response, decodeURIComponent(url.pathname.slice('/files/'.length)));
    json(response, 404, '1010000', 'no such resource');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    path,
    requests,
    wav: (fileName) => wavFor(fileName, wavBytes),
    fileUrl: (fileName) => `${base}/files/${encodeURIComponent(fileName)}`,
    setScenario: (fileName, scenario) => void scenarios.set(fileName, scenario),
    async close() {
      for (const timer of stalls) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A valid 8 kHz 16-bit mono WAV of `totalBytes`, its samples derived from the name (every file differs). */
export function wavFor(fileName: string, totalBytes: number): Buffer {
  const dataBytes = Math.max(0, totalBytes - 44);
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16_000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  let block = createHash('sha256').update(fileName).digest();
  for (let offset = 44; offset < wav.length; offset += block.length) {
    block.copy(wav, offset, 0, Math.min(block.length, wav.length - offset));
    block = createHash('sha256').update(block).digest();
  }
  return wav;
}
