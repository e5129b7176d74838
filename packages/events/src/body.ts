import type { Rejection } from './rejection.ts';

/**
 * A body decoded to text. `lossy` says the bytes were not valid UTF-8 and some sequences became
 * U+FFFD; `original` then holds the exact bytes, which must be kept beside whatever is stored from
 * the text (`parsePush` puts them in the verdict as `originalBodyBase64`).
 */
export type DecodedBody = { ok: true; text: string; lossy: false } | { ok: true; text: string; lossy: true; original: Uint8Array };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/**
 * Decodes the raw request bytes; the platform sends a UTF-8 byte stream whatever the headers say.
 * Valid UTF-8 costs one strict decode; only invalid bytes pay for a second, replacing decode.
 */
export function decodeBody(bytes: Uint8Array): DecodedBody | { ok: false; rejection: Rejection } {
  if (bytes.byteLength === 0) return { ok: false, rejection: { code: 'empty_body', message: 'the request body is empty' } };
  try {
    return { ok: true, text: strictUtf8.decode(bytes), lossy: false };
  } catch {
    return { ok: true, text: lossyUtf8.decode(bytes), lossy: true, original: bytes };
  }
}
