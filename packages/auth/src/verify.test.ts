import { describe, expect, it } from 'vitest';
import { type DigestVariant, computeDigest, digestVariants } from './digest.ts';
import { signPush } from './sign.ts';
import { type AppCredentials, type VerifySignatureInput, replayKey, replayTtlSeconds, verifySignature } from './verify.ts';

const appKey = 'Qm7v2XkT9pLs4NwR8cYd3HbJ6fGa';
const secret = 'demoAppSecret0001';
const previousSecret = 'oldAppSecret0000';
const url = 'https://push.example.com/voicecall/fee';
const nonce = '3F9A0C2E7B5D4E1A8C6B2D0F9E7A5C31';
const created = '2024-06-11T10:30:15Z';
const createdMs = Date.parse(created);
const allVariants: DigestVariant[] = [...digestVariants];

function apps(credentials: Partial<AppCredentials> = {}): ReadonlyMap<string, AppCredentials> {
  return new Map([[appKey, { secrets: [secret], variants: allVariants, ...credentials }]]);
}

function input(overrides: Partial<VerifySignatureInput> = {}, sign: Partial<Parameters<typeof signPush>[0]> = {}): VerifySignatureInput {
  return {
    headers: signPush({ appKey, secret, variant: 'url_newline', url, nonce, created, ...sign }),
    url,
    apps: apps(),
    now: new Date(createdMs + 30_000),
    maxSkewSeconds: 300,
    createdZones: 'utc',
    ...overrides,
  };
}

function xAkskWithDigest(digest: string): string {
  return `UsernameToken Username="${appKey}", PasswordDigest="${digest}", Nonce="${nonce}", Created="${created}"`;
}

describe('verifySignature: signatures', () => {
  it.each(digestVariants)('when a push is signed with variant %s, then it verifies and reports that variant', (variant) => {
    expect(verifySignature(input({}, { variant }))).toEqual({
      ok: true,
      appKey,
      variant,
      secretIndex: 0,
      createdAt: new Date(created),
      createdZone: 'utc',
    });
  });

  it('when the sample headers of the samples README arrive, then they verify as url_newline', () => {
    const result = verifySignature(
      input({
        headers: {
          authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"',
          xAksk: xAkskWithDigest('VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk='),
        },
      }),
    );
    expect(result).toMatchObject({ ok: true, appKey, variant: 'url_newline' });
  });

  it('when the app accepts only some variants, then a push signed with another one is a bad signature', () => {
    const result = verifySignature(input({ apps: apps({ variants: ['url_concat', 'nonce_created'] }) }, { variant: 'url_newline' }));
    expect(result).toMatchObject({ ok: false, code: 'bad_signature', appKey });
  });

  it('when the digest is forged (one character changed), then it is a bad signature', () => {
    const genuine = computeDigest('url_newline', { secret, url, nonce, created });
    const forged = `${genuine[0] === 'A' ? 'B' : 'A'}${genuine.slice(1)}`;
    const result = verifySignature(
      input({ headers: { authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"', xAksk: xAkskWithDigest(forged) } }),
    );
    expect(result).toMatchObject({ ok: false, code: 'bad_signature', appKey });
  });

  it('when the push is signed with the wrong secret, then it is a bad signature', () => {
    expect(verifySignature(input({}, { secret: 'someoneElsesSecret' }))).toMatchObject({ ok: false, code: 'bad_signature', appKey });
  });

  it('when the push is signed for another url, then the url variants refuse it', () => {
    for (const variant of ['url_newline', 'url_concat'] as const) {
      const result = verifySignature(input({}, { variant, url: 'https://push.example.com/voicecall/status' }));
      expect(result).toMatchObject({ ok: false, code: 'bad_signature', appKey });
    }
  });

  it('when the push is signed for another url with nonce_created, then it verifies (that variant does not cover the url)', () => {
    const result = verifySignature(input({}, { variant: 'nonce_created', url: 'https://push.example.com/voicecall/status' }));
    expect(result).toMatchObject({ ok: true, variant: 'nonce_created' });
  });

  it('when the nonce or Created in the header differ from what was signed, then it is a bad signature', () => {
    const signed = signPush({ appKey, secret, variant: 'url_newline', url, nonce, created });
    const otherNonce = signed.xAksk.replace(nonce, 'ABCDEF0123456789');
    const otherCreated = signed.xAksk.replace(created, '2024-06-11T10:30:16Z');
    for (const xAksk of [otherNonce, otherCreated]) {
      expect(verifySignature(input({ headers: { authorization: signed.authorization, xAksk } }))).toMatchObject({
        ok: false,
        code: 'bad_signature',
      });
    }
  });

  it('when the app key is not configured, then it is refused as unknown before any digest is checked', () => {
    const result = verifySignature(input({}, { appKey: 'UnknownAppKey123' }));
    expect(result).toMatchObject({ ok: false, code: 'unknown_app_key', appKey: 'UnknownAppKey123' });
  });

  it('when the app key differs only in case, then it is unknown (app keys are case-sensitive)', () => {
    expect(verifySignature(input({}, { appKey: appKey.toLowerCase() }))).toMatchObject({ ok: false, code: 'unknown_app_key' });
  });

  it('when the secret was rotated and the push is signed with the previous one, then it verifies and reports the old secret', () => {
    const result = verifySignature(input({ apps: apps({ secrets: [secret, previousSecret] }) }, { secret: previousSecret }));
    expect(result).toMatchObject({ ok: true, variant: 'url_newline', secretIndex: 1 });
  });

  it('when the secret was rotated and the push is signed with the current one, then it reports the current secret', () => {
    const result = verifySignature(input({ apps: apps({ secrets: [secret, previousSecret] }) }));
    expect(result).toMatchObject({ ok: true, secretIndex: 0 });
  });

  it('when a configured secret is empty, then a push signed with an empty key is refused', () => {
    const result = verifySignature(input({ apps: apps({ secrets: ['', secret] }) }, { secret: '' }));
    expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('when an app has no secrets or no variants, then every push for it is a bad signature', () => {
    expect(verifySignature(input({ apps: apps({ secrets: [] }) }))).toMatchObject({ ok: false, code: 'bad_signature' });
    expect(verifySignature(input({ apps: apps({ variants: [] }) }))).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it.each([
    ['empty-ish (1 byte)', 'QQ=='],
    ['31 bytes', Buffer.alloc(31, 7).toString('base64')],
    ['33 bytes', Buffer.alloc(33, 7).toString('base64')],
    ['64 bytes (a SHA-512 size)', Buffer.alloc(64, 7).toString('base64')],
    [
      'the genuine digest with a byte appended',
      Buffer.concat([Buffer.from(computeDigest('url_newline', { secret, url, nonce, created }), 'base64'), Buffer.from([0])]).toString(
        'base64',
      ),
    ],
  ])('when the digest decodes to the wrong length (%s), then it is a bad signature and nothing throws', (_label, digest) => {
    const run = (): unknown =>
      verifySignature(
        input({ headers: { authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"', xAksk: xAkskWithDigest(digest) } }),
      );
    expect(run).not.toThrow();
    expect(run()).toMatchObject({ ok: false, code: 'bad_signature', appKey });
  });
});

describe('verifySignature: headers', () => {
  it('when both headers are absent, then the signature is missing', () => {
    const result = verifySignature(input({ headers: {} }));
    expect(result).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(result).not.toHaveProperty('appKey');
  });

  it('when only one header is present, then the signature is malformed', () => {
    const signed = signPush({ appKey, secret, variant: 'url_newline', url, nonce, created });
    expect(verifySignature(input({ headers: { authorization: signed.authorization } }))).toMatchObject({
      ok: false,
      code: 'malformed_signature',
    });
    expect(verifySignature(input({ headers: { xAksk: signed.xAksk } }))).toMatchObject({ ok: false, code: 'malformed_signature' });
  });

  it.each([
    [
      'a wrong Authorization',
      { authorization: 'Basic dXNlcjpwYXNz', xAksk: xAkskWithDigest('VcvW4YVevh03OQCcNpbyo9a2ijos8sygB4km83aEzHk=') },
    ],
    [
      'a digest that is not Base64',
      { authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"', xAksk: xAkskWithDigest('%%%') },
    ],
    [
      'a truncated X-AKSK',
      { authorization: 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"', xAksk: 'UsernameToken Username="x", Nonce="' },
    ],
  ])('when the headers have %s, then the signature is malformed and no app key is reported', (_label, headers) => {
    const result = verifySignature(input({ headers }));
    expect(result).toMatchObject({ ok: false, code: 'malformed_signature' });
    expect(result).not.toHaveProperty('appKey');
  });
});

describe('verifySignature: Created window', () => {
  const hour = 3600_000;

  it('when Created is exactly at the skew limit either way, then it is accepted', () => {
    expect(verifySignature(input({ now: new Date(createdMs + 300_000) }))).toMatchObject({ ok: true });
    expect(verifySignature(input({ now: new Date(createdMs - 300_000) }))).toMatchObject({ ok: true });
  });

  it('when Created is one second older than the skew allows, then it is stale and the message says by how much', () => {
    const result = verifySignature(input({ now: new Date(createdMs + 301_000) }));
    expect(result).toMatchObject({ ok: false, code: 'stale_created', appKey });
    if (!result.ok) expect(result.message).toContain('301 s in the past');
  });

  it('when Created is one second further ahead than the skew allows, then it is in the future', () => {
    expect(verifySignature(input({ now: new Date(createdMs - 301_000) }))).toMatchObject({ ok: false, code: 'future_created', appKey });
  });

  it('when Created is exactly 8 h ahead (Beijing time with a Z), then it passes only with utc_or_beijing', () => {
    const now = new Date(createdMs - 8 * hour);
    expect(verifySignature(input({ now, createdZones: 'utc' }))).toMatchObject({ ok: false, code: 'future_created' });
    expect(verifySignature(input({ now, createdZones: 'utc_or_beijing' }))).toEqual({
      ok: true,
      appKey,
      variant: 'url_newline',
      secretIndex: 0,
      createdAt: now,
      createdZone: 'beijing',
    });
  });

  it('when Created is UTC and utc_or_beijing is allowed, then the UTC reading matches', () => {
    expect(verifySignature(input({ createdZones: 'utc_or_beijing' }))).toMatchObject({
      ok: true,
      createdZone: 'utc',
      createdAt: new Date(created),
    });
  });

  it('when Created is 8 h behind, then the Beijing tolerance does not help (it only allows values 8 h ahead)', () => {
    const now = new Date(createdMs + 8 * hour);
    expect(verifySignature(input({ now, createdZones: 'utc' }))).toMatchObject({ ok: false, code: 'stale_created' });
    expect(verifySignature(input({ now, createdZones: 'utc_or_beijing' }))).toMatchObject({ ok: false, code: 'stale_created' });
  });

  it('when Created is far in the future under both readings, then it is in the future', () => {
    const now = new Date(createdMs - 24 * hour);
    expect(verifySignature(input({ now, createdZones: 'utc_or_beijing' }))).toMatchObject({ ok: false, code: 'future_created' });
  });

  it('when Created falls between the two readings, then the nearest reading decides the direction', () => {
    // UTC reading 5 h ahead, Beijing reading 3 h behind: the nearest (Beijing) is in the past.
    expect(verifySignature(input({ now: new Date(createdMs - 5 * hour), createdZones: 'utc_or_beijing' }))).toMatchObject({
      ok: false,
      code: 'stale_created',
    });
    // UTC reading 3 h ahead, Beijing reading 5 h behind: the nearest (UTC) is in the future.
    expect(verifySignature(input({ now: new Date(createdMs - 3 * hour), createdZones: 'utc_or_beijing' }))).toMatchObject({
      ok: false,
      code: 'future_created',
    });
  });

  it('when Created has milliseconds, then the window uses them and the digest covers the text as sent', () => {
    const withMillis = '2024-06-11T10:30:15.500Z';
    const result = verifySignature(input({ now: new Date(Date.parse(withMillis) + 300_000) }, { created: withMillis }));
    expect(result).toMatchObject({ ok: true, createdAt: new Date(withMillis) });
    expect(verifySignature(input({ now: new Date(Date.parse(withMillis) + 300_001) }, { created: withMillis }))).toMatchObject({
      ok: false,
      code: 'stale_created',
    });
  });

  it('when the signature is bad and Created is also stale, then only the bad signature is reported', () => {
    const result = verifySignature(input({ now: new Date(createdMs + 24 * hour) }, { secret: 'wrong' }));
    expect(result).toMatchObject({ ok: false, code: 'bad_signature' });
    if (!result.ok) expect(result.message).not.toMatch(/past|future|Created/);
  });

  it('when the skew is zero, then only the exact instant is accepted', () => {
    expect(verifySignature(input({ now: new Date(createdMs), maxSkewSeconds: 0 }))).toMatchObject({ ok: true });
    expect(verifySignature(input({ now: new Date(createdMs + 1), maxSkewSeconds: 0 }))).toMatchObject({ ok: false, code: 'stale_created' });
    expect(verifySignature(input({ now: new Date(createdMs - 1), maxSkewSeconds: 0 }))).toMatchObject({
      ok: false,
      code: 'future_created',
    });
  });

  it('when now or maxSkewSeconds is invalid, then it throws a RangeError (a configuration error)', () => {
    expect(() => verifySignature(input({ now: new Date(Number.NaN) }))).toThrow(RangeError);
    expect(() => verifySignature(input({ maxSkewSeconds: -1 }))).toThrow(RangeError);
    expect(() => verifySignature(input({ maxSkewSeconds: Number.POSITIVE_INFINITY }))).toThrow(RangeError);
  });
});

describe('replayKey', () => {
  it('when given the same app key and nonce, then returns the same key', () => {
    expect(replayKey(appKey, nonce)).toBe(replayKey(appKey, nonce));
    expect(replayKey(appKey, nonce)).toBe(`aksk-nonce:${appKey}:${nonce}`);
  });

  it('when the app key or the nonce differs, then the keys differ', () => {
    expect(replayKey(appKey, nonce)).not.toBe(replayKey(appKey, 'ABC'));
    expect(replayKey(appKey, nonce)).not.toBe(replayKey('otherApp', nonce));
  });

  it('when an app key contains a colon, then it cannot collide with another app key and nonce', () => {
    expect(replayKey('a:b', 'c')).not.toBe(replayKey('a', 'b:c'));
  });
});

describe('replayTtlSeconds', () => {
  it('when only UTC is read, then nonces are kept for twice the skew', () => {
    expect(replayTtlSeconds({ maxSkewSeconds: 300, createdZones: 'utc' })).toBe(600);
  });

  it('when Beijing time is also read, then nonces are kept 8 h longer (the same Created is accepted again 8 h later)', () => {
    expect(replayTtlSeconds({ maxSkewSeconds: 300, createdZones: 'utc_or_beijing' })).toBe(8 * 3600 + 600);
  });

  it('when a Beijing-style push is replayed 8 h later, then it still verifies under the UTC reading (why the longer TTL is needed)', () => {
    const now = new Date(createdMs - 8 * 3600_000);
    const replayedAt = new Date(createdMs);
    expect(verifySignature(input({ now, createdZones: 'utc_or_beijing' }))).toMatchObject({ ok: true, createdZone: 'beijing' });
    expect(verifySignature(input({ now: replayedAt, createdZones: 'utc_or_beijing' }))).toMatchObject({ ok: true, createdZone: 'utc' });
    expect((replayedAt.getTime() - now.getTime()) / 1000).toBeLessThanOrEqual(
      replayTtlSeconds({ maxSkewSeconds: 300, createdZones: 'utc_or_beijing' }),
    );
  });
});
