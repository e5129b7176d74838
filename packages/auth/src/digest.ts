import { createHmac } from 'node:crypto';

/**
 * The ways Huawei's documents say `PasswordDigest` is built (spec §2.2 items 2 and 3). All use
 * Base64(HMAC-SHA256(appSecret, message)); only the message differs:
 * - `url_newline`   — url + "\n" + nonce + "\n" + created (VoiceCall push pages, 2026)
 * - `url_concat`    — url + nonce + created (VoiceCall push pages, 2022)
 * - `nonce_created` — nonce + created (API authentication and PrivateNumber pushes)
 */
export const digestVariants = ['url_newline', 'url_concat', 'nonce_created'] as const;

export type DigestVariant = (typeof digestVariants)[number];

export function isDigestVariant(value: string): value is DigestVariant {
  return (digestVariants as readonly string[]).includes(value);
}

export interface DigestInput {
  /** The application's APP_Secret, used as the HMAC key (UTF-8). */
  secret: string;
  /** The push URL the platform signs; ignored by `nonce_created`. */
  url: string;
  nonce: string;
  /** The `Created` value exactly as sent (the digest covers the text, not the instant). */
  created: string;
}

/** Bytes of an HMAC-SHA256 output: every well-formed `PasswordDigest` decodes to this many. */
export const DIGEST_BYTES = 32;

/** The message HMAC'd for a variant. */
export function digestMessage(variant: DigestVariant, input: Omit<DigestInput, 'secret'>): string {
  switch (variant) {
    case 'url_newline':
      return `${input.url}\n${input.nonce}\n${input.created}`;
    case 'url_concat':
      return `${input.url}${input.nonce}${input.created}`;
    case 'nonce_created':
      return `${input.nonce}${input.created}`;
  }
}

/** The raw HMAC-SHA256 bytes ({@link DIGEST_BYTES} long) for a variant. */
export function digestBytes(variant: DigestVariant, input: DigestInput): Buffer {
  return createHmac('sha256', input.secret).update(digestMessage(variant, input), 'utf8').digest();
}

/** The `PasswordDigest` value, Base64(HMAC-SHA256(secret, message)), for a variant. */
export function computeDigest(variant: DigestVariant, input: DigestInput): string {
  return digestBytes(variant, input).toString('base64');
}
