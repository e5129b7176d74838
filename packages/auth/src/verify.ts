import { timingSafeEqual } from 'node:crypto';
import { type CreatedZone, type CreatedZones, createdReadings, parseCreated } from './created.ts';
import { DIGEST_BYTES, type DigestVariant, digestBytes } from './digest.ts';
import { parseAkskHeaders } from './headers.ts';

/** What the verifier knows about one application (keyed by APP_Key). */
export interface AppCredentials {
  /**
   * APP_Secrets to try, current first then previous ones, so a secret can be rotated without
   * rejecting pushes signed with the old one. Empty strings are ignored (never a usable key).
   */
  secrets: readonly string[];
  /** Digest variants to accept for this app (see {@link DigestVariant}). */
  variants: readonly DigestVariant[];
}

export interface VerifySignatureInput {
  headers: { authorization?: string | undefined; xAksk?: string | undefined };
  /** The URL the platform is expected to sign (used by the `url_*` variants). */
  url: string;
  apps: ReadonlyMap<string, AppCredentials>;
  now: Date;
  /** Largest accepted distance, either way, between `Created` and `now`. */
  maxSkewSeconds: number;
  /** `utc_or_beijing` also accepts `Created` read as Beijing time despite its `Z` (spec §2.2 items 5, 7). */
  createdZones: CreatedZones;
}

export type VerifyFailureCode =
  'missing_signature' | 'malformed_signature' | 'unknown_app_key' | 'bad_signature' | 'stale_created' | 'future_created';

export type VerifyResult =
  | {
      ok: true;
      appKey: string;
      variant: DigestVariant;
      /** Index in `secrets` of the secret that matched (0 = current; more means an old secret is still in use). */
      secretIndex: number;
      /** The instant `Created` stands for under the reading that was within the skew. */
      createdAt: Date;
      /** Which reading of `Created` was within the skew. */
      createdZone: CreatedZone;
    }
  | {
      ok: false;
      code: VerifyFailureCode;
      message: string;
      /**
       * The `Username` of the push, from `unknown_app_key` on. For `unknown_app_key` it is whatever the
       * sender wrote (bounded printable ASCII): fine for logs, not for metric labels.
       */
      appKey?: string;
    };

/**
 * Verifies the `Authorization`/`X-AKSK` signature of a push. Pure: no I/O, no clock (pass `now`).
 *
 * Order: headers (`missing_signature`, `malformed_signature`), app key (`unknown_app_key`), digest
 * (`bad_signature`), and only then the time window (`stale_created`, `future_created`), so a request
 * without a valid signature learns nothing about our clock. Every secret × variant candidate is
 * computed and compared with `timingSafeEqual` on 32-byte HMAC outputs, without stopping at a match;
 * the first match in order (secrets, then variants) is reported.
 *
 * Replay protection is the caller's: after `ok`, record {@link replayKey} for {@link replayTtlSeconds}.
 *
 * Throws RangeError if `now` is an invalid Date or `maxSkewSeconds` is not a finite number ≥ 0
 * (configuration errors, to be caught at start-up).
 */
export function verifySignature(input: VerifySignatureInput): VerifyResult {
  const nowMs = input.now.getTime();
  if (Number.isNaN(nowMs)) throw new RangeError('verifySignature: now is an invalid Date');
  checkSkew(input.maxSkewSeconds);

  const parsed = parseAkskHeaders(input.headers.authorization, input.headers.xAksk);
  if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message };
  const { username: appKey, passwordDigest, nonce, created } = parsed.value;

  const app = input.apps.get(appKey);
  if (app === undefined) return { ok: false, code: 'unknown_app_key', message: 'no secret is configured for this app key', appKey };

  const provided = Buffer.from(passwordDigest, 'base64');
  if (provided.length !== DIGEST_BYTES) {
    return { ok: false, code: 'bad_signature', message: `PasswordDigest is ${provided.length} bytes, not ${DIGEST_BYTES}`, appKey };
  }

  let match: { variant: DigestVariant; secretIndex: number } | undefined;
  app.secrets.forEach((secret, secretIndex) => {
    if (secret === '') return;
    for (const variant of app.variants) {
      const expected = digestBytes(variant, { secret, url: input.url, nonce, created });
      // Both are DIGEST_BYTES long; keep comparing after a match so timing does not depend on which matched.
      if (timingSafeEqual(expected, provided) && match === undefined) match = { variant, secretIndex };
    }
  });
  if (match === undefined) {
    return { ok: false, code: 'bad_signature', message: 'PasswordDigest matches no configured secret and digest variant', appKey };
  }

  // parseAkskHeaders has checked Created, so this is never null.
  const createdUtc = parseCreated(created);
  if (createdUtc === null) return { ok: false, code: 'malformed_signature', message: 'X-AKSK Created is not a valid time', appKey };
  const skewMs = input.maxSkewSeconds * 1000;
  const readings = createdReadings(createdUtc, input.createdZones);
  const inWindow = readings.find((reading) => Math.abs(nowMs - reading.at.getTime()) <= skewMs);
  if (inWindow !== undefined) {
    return { ok: true, appKey, variant: match.variant, secretIndex: match.secretIndex, createdAt: inWindow.at, createdZone: inWindow.zone };
  }

  // Outside the window under every reading: report the direction of the nearest one.
  let nearest = readings[0]!;
  for (const reading of readings) {
    if (Math.abs(nowMs - reading.at.getTime()) < Math.abs(nowMs - nearest.at.getTime())) nearest = reading;
  }
  const offsetMs = nearest.at.getTime() - nowMs;
  const distance = `${Math.ceil(Math.abs(offsetMs) / 1000)} s`;
  const zones = input.createdZones === 'utc' ? 'read as UTC' : 'read as UTC or as Beijing time';
  if (offsetMs < 0) {
    return {
      ok: false,
      code: 'stale_created',
      message: `Created (${zones}) is ${distance} in the past, more than the allowed ${input.maxSkewSeconds} s`,
      appKey,
    };
  }
  return {
    ok: false,
    code: 'future_created',
    message: `Created (${zones}) is ${distance} in the future, more than the allowed ${input.maxSkewSeconds} s`,
    appKey,
  };
}

/**
 * The key under which a verified push's nonce is remembered for replay protection: the same for the
 * same app key and nonce, different otherwise (both parts are URI-encoded, so `:` cannot collide).
 */
export function replayKey(appKey: string, nonce: string): string {
  return `aksk-nonce:${encodeURIComponent(appKey)}:${encodeURIComponent(nonce)}`;
}

/**
 * How long a nonce must be remembered so that a captured push cannot be replayed while its `Created`
 * is still accepted. With `utc`, a `Created` value is accepted for 2 × skew; with `utc_or_beijing`
 * the same value is accepted again 8 h later under the other reading, so the span is 8 h + 2 × skew.
 */
export function replayTtlSeconds(options: { maxSkewSeconds: number; createdZones: CreatedZones }): number {
  checkSkew(options.maxSkewSeconds);
  const span = 2 * options.maxSkewSeconds;
  return Math.ceil(options.createdZones === 'utc_or_beijing' ? span + 8 * 60 * 60 : span);
}

function checkSkew(maxSkewSeconds: number): void {
  if (!Number.isFinite(maxSkewSeconds) || maxSkewSeconds < 0) {
    throw new RangeError(`maxSkewSeconds must be a finite number >= 0, got ${maxSkewSeconds}`);
  }
}
