import { describe, expect, it } from 'vitest';
import { AKSK_AUTHORIZATION, MAX_AKSK_HEADER_LENGTH, parseAkskHeaders } from './headers.ts';

// The documented request headers in shared/domain/samples/README.md.
const sampleAuthorization = 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"';
const sampleXAksk =
  'UsernameToken Username="Qm7v2XkT9pLs4NwR8cYd3HbJ6fGa", PasswordDigest="VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk=", Nonce="3F9A0C2E7B5D4E1A8C6B2D0F9E7A5C31", Created="2024-06-11T10:30:15Z"';
const sampleValue = {
  username: 'Qm7v2XkT9pLs4NwR8cYd3HbJ6fGa',
  passwordDigest: 'VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk=',
  nonce: '3F9A0C2E7B5D4E1A8C6B2D0F9E7A5C31',
  created: '2024-06-11T10:30:15Z',
};

function xAksk(params: Record<string, string>): string {
  return `UsernameToken ${Object.entries(params)
    .map(([name, value]) => `${name}="${value}"`)
    .join(', ')}`;
}

const sampleParams = {
  Username: sampleValue.username,
  PasswordDigest: sampleValue.passwordDigest,
  Nonce: sampleValue.nonce,
  Created: sampleValue.created,
};

describe('parseAkskHeaders', () => {
  it('when given the documented sample headers, then returns their four values', () => {
    expect(sampleAuthorization).toBe(AKSK_AUTHORIZATION);
    expect(parseAkskHeaders(sampleAuthorization, sampleXAksk)).toEqual({ ok: true, value: sampleValue });
  });

  it.each([
    ['spaces after commas', 'AKSK realm="SDP", profile="UsernameToken", type="Appkey"'],
    ['another parameter order', 'AKSK type="Appkey",realm="SDP",profile="UsernameToken"'],
    ['tabs, spaces around = and a lower-case scheme', 'aksk  realm = "SDP",\tprofile="UsernameToken" ,type="Appkey"'],
    ['upper-case parameter names', 'AKSK REALM="SDP",PROFILE="UsernameToken",TYPE="Appkey"'],
    ['surrounding whitespace', '  AKSK realm="SDP",profile="UsernameToken",type="Appkey"  '],
  ])('when Authorization has %s, then it is accepted', (_label, authorization) => {
    expect(parseAkskHeaders(authorization, sampleXAksk)).toEqual({ ok: true, value: sampleValue });
  });

  it.each([
    [
      'no space after commas',
      `UsernameToken Username="${sampleValue.username}",PasswordDigest="${sampleValue.passwordDigest}",Nonce="${sampleValue.nonce}",Created="${sampleValue.created}"`,
    ],
    [
      'another parameter order',
      `UsernameToken Created="${sampleValue.created}", Nonce="${sampleValue.nonce}", Username="${sampleValue.username}", PasswordDigest="${sampleValue.passwordDigest}"`,
    ],
    [
      'extra spaces everywhere',
      `UsernameToken   Username = "${sampleValue.username}" ,  PasswordDigest="${sampleValue.passwordDigest}",\tNonce="${sampleValue.nonce}" , Created="${sampleValue.created}" `,
    ],
    [
      'lower-case names and scheme',
      `usernametoken username="${sampleValue.username}", passworddigest="${sampleValue.passwordDigest}", nonce="${sampleValue.nonce}", created="${sampleValue.created}"`,
    ],
  ])('when X-AKSK has %s, then it is accepted', (_label, header) => {
    expect(parseAkskHeaders(sampleAuthorization, header)).toEqual({ ok: true, value: sampleValue });
  });

  it('when Created has milliseconds, then it is accepted and kept as sent', () => {
    const result = parseAkskHeaders(sampleAuthorization, xAksk({ ...sampleParams, Created: '2024-06-11T10:30:15.123Z' }));
    expect(result).toEqual({ ok: true, value: { ...sampleValue, created: '2024-06-11T10:30:15.123Z' } });
  });

  it.each([
    ['both undefined', undefined, undefined],
    ['both empty', '', ''],
    ['both blank', '  ', '\t'],
  ])('when the headers are %s, then the signature is missing', (_label, authorization, header) => {
    expect(parseAkskHeaders(authorization, header)).toMatchObject({ ok: false, code: 'missing_signature' });
  });

  it.each([
    ['Authorization without X-AKSK', sampleAuthorization, undefined],
    ['X-AKSK without Authorization', undefined, sampleXAksk],
    ['X-AKSK with an empty Authorization', '', sampleXAksk],
  ])('when there is %s, then the signature is malformed', (_label, authorization, header) => {
    expect(parseAkskHeaders(authorization, header)).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  it.each([
    ['another scheme', 'Bearer realm="SDP",profile="UsernameToken",type="Appkey"'],
    ['no parameters', 'AKSK'],
    ['a scheme glued to its parameters', 'AKSKrealm="SDP",profile="UsernameToken",type="Appkey"'],
    ['a wrong realm', 'AKSK realm="XYZ",profile="UsernameToken",type="Appkey"'],
    ['a wrong-case value', 'AKSK realm="sdp",profile="UsernameToken",type="Appkey"'],
    ['a missing parameter', 'AKSK realm="SDP",profile="UsernameToken"'],
    ['an extra parameter', 'AKSK realm="SDP",profile="UsernameToken",type="Appkey",x="1"'],
    ['an inherited property name as parameter', 'AKSK realm="SDP",profile="UsernameToken",type="Appkey",constructor="x"'],
    ['a duplicated parameter', 'AKSK realm="SDP",realm="SDP",profile="UsernameToken",type="Appkey"'],
    ['unquoted values', 'AKSK realm=SDP,profile=UsernameToken,type=Appkey'],
    ['a trailing comma', 'AKSK realm="SDP",profile="UsernameToken",type="Appkey",'],
    ['semicolons', 'AKSK realm="SDP";profile="UsernameToken";type="Appkey"'],
    ['an unterminated quote', 'AKSK realm="SDP",profile="UsernameToken",type="Appkey'],
  ])('when Authorization has %s, then the signature is malformed', (_label, authorization) => {
    expect(parseAkskHeaders(authorization, sampleXAksk)).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  it.each([
    ['another scheme', sampleXAksk.replace('UsernameToken ', 'WSSE ')],
    ['a missing Username', xAksk({ PasswordDigest: sampleValue.passwordDigest, Nonce: sampleValue.nonce, Created: sampleValue.created })],
    ['a missing PasswordDigest', xAksk({ Username: sampleValue.username, Nonce: sampleValue.nonce, Created: sampleValue.created })],
    [
      'a missing Nonce',
      xAksk({ Username: sampleValue.username, PasswordDigest: sampleValue.passwordDigest, Created: sampleValue.created }),
    ],
    ['a missing Created', xAksk({ Username: sampleValue.username, PasswordDigest: sampleValue.passwordDigest, Nonce: sampleValue.nonce })],
    ['an unknown parameter', xAksk({ ...sampleParams, Extra: 'x' })],
    ['a duplicated Nonce', `${sampleXAksk}, Nonce="ABC"`],
    ['unquoted values', sampleXAksk.replaceAll('"', '')],
    ['single quotes', sampleXAksk.replaceAll('"', "'")],
    ['an empty Username', xAksk({ ...sampleParams, Username: '' })],
    ['a Username with a space', xAksk({ ...sampleParams, Username: 'app key' })],
    ['a Username longer than 128', xAksk({ ...sampleParams, Username: 'a'.repeat(129) })],
    ['an empty Nonce', xAksk({ ...sampleParams, Nonce: '' })],
    ['a Nonce of 129 characters', xAksk({ ...sampleParams, Nonce: 'A'.repeat(129) })],
    ['a Nonce with a dash', xAksk({ ...sampleParams, Nonce: '3F9A0C2E-7B5D' })],
    ['a Created without Z', xAksk({ ...sampleParams, Created: '2024-06-11T10:30:15' })],
    ['a Created in platform format', xAksk({ ...sampleParams, Created: '2024-06-11 10:30:15' })],
    ['an impossible Created', xAksk({ ...sampleParams, Created: '2024-02-30T10:30:15Z' })],
    ['a PasswordDigest that is not Base64', xAksk({ ...sampleParams, PasswordDigest: 'not base64!' })],
    ['a PasswordDigest in Base64url', xAksk({ ...sampleParams, PasswordDigest: 'WOTaJ046d7R6UGqnMYTj_2y05V673_PKf8fYT-M-Y9M=' })],
    ['a PasswordDigest without padding', xAksk({ ...sampleParams, PasswordDigest: 'VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk' })],
    ['an empty PasswordDigest', xAksk({ ...sampleParams, PasswordDigest: '' })],
    ['a control character in a value', xAksk({ ...sampleParams, Username: 'app\u0000key' })],
    ['a non-ASCII value', xAksk({ ...sampleParams, Username: 'appkéy' })],
    ['garbage', '{"Username":"x"}'],
  ])('when X-AKSK has %s, then the signature is malformed', (_label, header) => {
    expect(parseAkskHeaders(sampleAuthorization, header)).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  it('when a header is longer than the bound, then it is malformed without being parsed', () => {
    const long = `${sampleXAksk}, ${' '.repeat(MAX_AKSK_HEADER_LENGTH)}x="1"`;
    const result = parseAkskHeaders(sampleAuthorization, long);
    expect(result).toMatchObject({ ok: false, code: 'malformed_signature' });
    if (!result.ok) expect(result.message).toContain(String(MAX_AKSK_HEADER_LENGTH));
    expect(parseAkskHeaders(`${sampleAuthorization}${' '.repeat(MAX_AKSK_HEADER_LENGTH)},x="1"`, sampleXAksk)).toMatchObject({
      ok: false,
      code: 'malformed_signature',
    });
  });

  it('when a malformed header carries a very long parameter name, then the message stays short', () => {
    const result = parseAkskHeaders(sampleAuthorization, xAksk({ ...sampleParams, [`X${'y'.repeat(1000)}`]: '1' }));
    expect(result).toMatchObject({ ok: false, code: 'malformed_signature' });
    if (!result.ok) expect(result.message.length).toBeLessThan(120);
  });

  it('when the headers are a duplicate X-AKSK joined by Node with ", ", then they are malformed', () => {
    expect(parseAkskHeaders(sampleAuthorization, `${sampleXAksk}, ${sampleXAksk}`)).toMatchObject({
      ok: false,
      code: 'malformed_signature',
    });
  });
});
