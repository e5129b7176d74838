import { formatCreated, parseCreated } from './created.ts';
import { type DigestVariant, computeDigest } from './digest.ts';
import { AKSK_AUTHORIZATION, MAX_USERNAME_LENGTH } from './headers.ts';

export interface SignPushInput {
  appKey: string;
  secret: string;
  variant: DigestVariant;
  url: string;
  /** 1–128 letters or digits. */
  nonce: string;
  /** A `Created` value as it should appear in the header, or an instant (formatted in UTC, no milliseconds). */
  created: string | Date;
}

/** The two header values of a signed push, shaped like `verifySignature`'s `headers` (HTTP names in `AKSK_HEADER_NAMES`). */
export interface SignedPushHeaders {
  authorization: string;
  xAksk: string;
}

/**
 * Builds the `Authorization` and `X-AKSK` headers the platform would send, in the documented layout
 * (for tests and the load simulator). Pure and deterministic: the caller supplies nonce and time.
 * Throws TypeError for values `parseAkskHeaders` would refuse, so a signer never emits a malformed pair.
 */
export function signPush(input: SignPushInput): SignedPushHeaders {
  const created = typeof input.created === 'string' ? input.created : formatCreated(input.created);
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(input.appKey) || input.appKey.length > MAX_USERNAME_LENGTH) {
    throw new TypeError(`signPush: appKey must be 1-${MAX_USERNAME_LENGTH} printable ASCII characters without spaces, " or \\`);
  }
  if (!/^[A-Za-z0-9]{1,128}$/.test(input.nonce)) throw new TypeError('signPush: nonce must be 1-128 letters or digits');
  if (parseCreated(created) === null) throw new TypeError('signPush: created must be yyyy-MM-ddTHH:mm:ss[.fff]Z in 2000-2099');
  const digest = computeDigest(input.variant, { secret: input.secret, url: input.url, nonce: input.nonce, created });
  return {
    authorization: AKSK_AUTHORIZATION,
    xAksk: `UsernameToken Username="${input.appKey}", PasswordDigest="${digest}", Nonce="${input.nonce}", Created="${created}"`,
  };
}

export interface SignApiRequestInput {
  appKey: string;
  secret: string;
  nonce: string;
  created: string | Date;
}

/**
 * The `Authorization` and `X-AKSK` headers of a call to the platform's REST API (e.g. the recording
 * download address, rtc_05_0011): the same layout as a signed push, with the digest over
 * Nonce + Created only, as the API authentication pages specify.
 */
export function signApiRequest(input: SignApiRequestInput): SignedPushHeaders {
  return signPush({ ...input, variant: 'nonce_created', url: '' });
}
