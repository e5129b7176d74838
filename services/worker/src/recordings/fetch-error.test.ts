import { describe, expect, it } from 'vitest';
import { describeErrorBody, kindOfStatus } from './fetch-error.ts';
import { recordingKey } from './download.ts';
import { downloadAddressUrl } from './platform-api.ts';

describe('kindOfStatus', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [410, 'gone'],
    [429, 'transient'],
    [500, 'transient'],
    [503, 'transient'],
    [400, 'permanent'],
    [422, 'permanent'],
  ] as const)('when the status is %i, then the kind is %s', (status, kind) => {
    expect(kindOfStatus(status)).toBe(kind);
  });
});

describe('describeErrorBody', () => {
  it('when the body is a result code, then gives code and description', () => {
    expect(describeErrorBody('{"resultcode":"1023006","resultdesc":"Authorization not contained in the HTTP header"}')).toBe(
      '1023006 Authorization not contained in the HTTP header',
    );
  });
  it('when the body is not JSON, then gives its start on one line', () => {
    expect(describeErrorBody('<html>\n  Bad gateway\n</html>')).toBe('<html> Bad gateway </html>');
  });
});

describe('recordingKey', () => {
  it('when the session id has characters unsafe in paths, then each segment is encoded', () => {
    expect(
      recordingKey({
        session_id: '1201_366_0_20161228102743@callenabler.home1.com#1/2',
        object_name: '1200_366_0_20161228102743.wav',
        first_seen_at: new Date('2026-12-01T23:59:59Z'),
      }),
    ).toBe('2026-12-01/1201_366_0_20161228102743%40callenabler.home1.com%231%2F2/1200_366_0_20161228102743.wav');
  });
  it('when a name is a dot segment, then it cannot climb out of the store', () => {
    expect(recordingKey({ session_id: '..', object_name: '.', first_seen_at: new Date('2026-12-01T00:00:00Z') })).toBe('2026-12-01/_../_.');
  });
});

describe('downloadAddressUrl', () => {
  it('when built, then joins the address and the path and encodes the parameters', () => {
    expect(
      downloadAddressUrl('https://rtcapi.example.com:12543/', '/rest/provision/voice/record/v1.0', 'a b.wav', 'ostor.example.com').href,
    ).toBe('https://rtcapi.example.com:12543/rest/provision/voice/record/v1.0?fileName=a+b.wav&recordDomain=ostor.example.com');
  });
});
