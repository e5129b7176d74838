import { describe, expect, it } from 'vitest';
import { AKSK_AUTHORIZATION, parseAkskHeaders } from './headers.ts';
import { signApiRequest, signPush } from './sign.ts';

const base = {
  appKey: 'Qm7v2XkT9pLs4NwR8cYd3HbJ6fGa',
  secret: 'demoAppSecret0001',
  variant: 'url_newline',
  url: 'https://push.example.com/voicecall/fee',
  nonce: '3F9A0C2E7B5D4E1A8C6B2D0F9E7A5C31',
  created: '2024-06-11T10:30:15Z',
} as const;

describe('signPush', () => {
  it('when signing the sample inputs, then produces exactly the documented sample headers', () => {
    expect(signPush(base)).toEqual({
      authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
      xAksk:
        'UsernameToken Username="Qm7v2XkT9pLs4NwR8cYd3HbJ6fGa", PasswordDigest="VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk=", Nonce="3F9A0C2E7B5D4E1A8C6B2D0F9E7A5C31", Created="2024-06-11T10:30:15Z"',
    });
  });

  it('when given an instant for Created, then formats it in UTC without milliseconds', () => {
    const headers = signPush({ ...base, created: new Date('2024-06-11T10:30:15.999Z') });
    expect(headers.xAksk).toContain('Created="2024-06-11T10:30:15Z"');
    expect(headers).toEqual(signPush(base));
  });

  it('when signed, then the headers parse back to the same values', () => {
    const headers = signPush({ ...base, variant: 'nonce_created' });
    expect(headers.authorization).toBe(AKSK_AUTHORIZATION);
    expect(parseAkskHeaders(headers.authorization, headers.xAksk)).toEqual({
      ok: true,
      value: {
        username: base.appKey,
        passwordDigest: '3WeZPhWg9abNwd5RK5ca0pJGlcuF/jLYWOzvLcI9Jys=',
        nonce: base.nonce,
        created: base.created,
      },
    });
  });

  it.each([
    ['a nonce with a dash', { nonce: 'abc-def' }],
    ['an empty nonce', { nonce: '' }],
    ['an app key with a quote', { appKey: 'app"key' }],
    ['an app key with a space', { appKey: 'app key' }],
    ['a Created without Z', { created: '2024-06-11T10:30:15' }],
    ['an invalid Date', { created: new Date(Number.NaN) }],
  ])('when given %s, then throws instead of emitting a malformed header', (_label, override) => {
    expect(() => signPush({ ...base, ...override })).toThrow();
  });
});

describe('signApiRequest', () => {
  it('when signing an API call, then the digest is the documented nonce_created vector', () => {
    const headers = signApiRequest({ appKey: base.appKey, secret: base.secret, nonce: base.nonce, created: base.created });
    expect(headers.authorization).toBe(AKSK_AUTHORIZATION);
    expect(headers.xAksk).toContain('PasswordDigest="3WeZPhWg9abNwd5RK5ca0pJGlcuF/jLYWOzvLcI9Jys="');
    expect(parseAkskHeaders(headers.authorization, headers.xAksk)).toMatchObject({ ok: true, value: { username: base.appKey } });
  });

  it('when the nonce is not 1-128 letters or digits, then throws', () => {
    expect(() => signApiRequest({ appKey: base.appKey, secret: base.secret, nonce: 'a-b', created: base.created })).toThrow(TypeError);
  });
});
