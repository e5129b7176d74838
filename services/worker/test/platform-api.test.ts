import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { signApiRequest, formatCreated } from '@callpipe/auth';
import { startFakeVoiceCallApi } from '@callpipe/testkit';
import { requestDownloadAddress } from '../src/recordings/platform-api.ts';
import { RecordingFetchError } from '../src/recordings/fetch-error.ts';
import { APP_KEY, APP_SECRET, platformApps } from './recording-support.ts';

const api = await startFakeVoiceCallApi({ apps: platformApps, scenarios: { 'missing.wav': { kind: 'not_found' } } });
afterAll(() => api.close());

const query = `${api.url}${api.path}?fileName=a.wav&recordDomain=ostor.example.com`;
const signed = (overrides: { secret?: string; created?: Date } = {}) =>
  signApiRequest({ appKey: APP_KEY, secret: overrides.secret ?? APP_SECRET, nonce: 'abc123', created: overrides.created ?? new Date() });

async function ask(headers: Record<string, string>): Promise<{ status: number; body: string; location: string | null }> {
  const response = await fetch(query, { redirect: 'manual', headers });
  return { status: response.status, body: await response.text(), location: response.headers.get('location') };
}

describe('the fake platform API', () => {
  const contentType = { 'Content-Type': 'application/json;charset=UTF-8' };

  it('when the request is signed as documented, then it answers 301 with the download address', async () => {
    const headers = signed();
    const answer = await ask({ ...contentType, Authorization: headers.authorization, 'X-AKSK': headers.xAksk });
    expect(answer.status).toBe(301);
    expect(answer.location).toBe(api.fileUrl('a.wav'));
    const file = await fetch(answer.location!);
    expect(Buffer.from(await file.arrayBuffer()).equals(api.wav('a.wav'))).toBe(true);
    expect(api.wav('a.wav').subarray(0, 4).toString()).toBe('RIFF');
  });

  it.each([
    ['no Authorization', () => ({ ...contentType }), 'Authorization not contained in the HTTP header'],
    ['a wrong secret', () => ({ ...contentType, ...asHeaders(signed({ secret: 'wrong' })) }), 'PasswordDigest does not match'],
    ['a stale Created', () => ({ ...contentType, ...asHeaders(signed({ created: new Date(Date.now() - 3_600_000) })) }), 'skew'],
    [
      'an unknown app key',
      () => ({ ...contentType, ...asHeaders(signApiRequest({ appKey: 'Other', secret: 'x', nonce: 'n1', created: new Date() })) }),
      'unknown app key',
    ],
  ])('when the request has %s, then it refuses with 401 and 1023006', async (_label, headers, reason) => {
    const answer = await ask(headers());
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ resultcode: '1023006' });
    expect(answer.body).toContain(reason);
  });

  it('when the Content-Type is not JSON, then it refuses with 400', async () => {
    expect((await ask({ ...asHeaders(signed()) })).status).toBe(400);
  });

  it('when Created is the current time, then formatCreated gives what the fake accepts', () => {
    expect(formatCreated(new Date('2026-12-01T10:00:00.500Z'))).toBe('2026-12-01T10:00:00Z');
  });
});

describe('requestDownloadAddress', () => {
  const request = { apiUrl: api.url, path: api.path, appKey: APP_KEY, secret: APP_SECRET, recordDomain: 'ostor.example.com' };

  it('when the platform answers 301, then the Location is returned without following it', async () => {
    const before = api.requests.length;
    const address = await requestDownloadAddress({ ...request, fileName: 'b.wav', signal: AbortSignal.timeout(5_000) });
    expect(address.href).toBe(api.fileUrl('b.wav'));
    expect(api.requests.slice(before).map((r) => r.kind)).toEqual(['api']);
  });

  it('when the platform answers 404 or 401, then the error says which, with the result code', async () => {
    await expect(requestDownloadAddress({ ...request, fileName: 'missing.wav', signal: AbortSignal.timeout(5_000) })).rejects.toMatchObject(
      {
        kind: 'not_found',
        status: 404,
      },
    );
    const refused = requestDownloadAddress({ ...request, secret: 'wrong', fileName: 'b.wav', signal: AbortSignal.timeout(5_000) });
    await expect(refused).rejects.toBeInstanceOf(RecordingFetchError);
    await expect(refused).rejects.toMatchObject({ kind: 'auth', message: expect.stringContaining('HTTP 401 1023006') as unknown });
  });

  it('when nothing listens, then the error is transient and names the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      requestDownloadAddress({ ...request, apiUrl: `http://127.0.0.1:${port}`, fileName: 'b.wav', signal: AbortSignal.timeout(5_000) }),
    ).rejects.toMatchObject({ kind: 'transient', message: expect.stringContaining('ECONNREFUSED') as unknown });
  });
});

function asHeaders(headers: { authorization: string; xAksk: string }): Record<string, string> {
  return { Authorization: headers.authorization, 'X-AKSK': headers.xAksk };
}
