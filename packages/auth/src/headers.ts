import { parseCreated } from './created.ts';

/** The fixed `Authorization` value of a signed push (spec §2.1). */
export const AKSK_AUTHORIZATION = 'AKSK realm="SDP",profile="UsernameToken",type="Appkey"';

/** HTTP header names (lower-case, as in Node's `IncomingHttpHeaders`) of the two signature headers. */
export const AKSK_HEADER_NAMES = { authorization: 'authorization', xAksk: 'x-aksk' } as const;

/** Longest `Authorization` or `X-AKSK` value looked at; longer ones are malformed (the documented ones are < 250). */
export const MAX_AKSK_HEADER_LENGTH = 2048;

/** Longest `Username` (APP_Key) accepted; real app keys are about 28 characters. */
export const MAX_USERNAME_LENGTH = 128;

/** What `X-AKSK` carries. Values are exactly as sent. */
export interface AkskCredentials {
  /** The APP_Key of the application that signed. */
  username: string;
  /** Base64 text as sent; syntactically Base64, not yet checked for length. */
  passwordDigest: string;
  nonce: string;
  /** `yyyy-MM-ddTHH:mm:ssZ` (or with fractional seconds), as sent: the digest covers this text. */
  created: string;
}

export type AkskParseFailureCode = 'missing_signature' | 'malformed_signature';

export type AkskParseResult = { ok: true; value: AkskCredentials } | { ok: false; code: AkskParseFailureCode; message: string };

const AUTHORIZATION_PARAMS: Readonly<Record<string, string>> = { realm: 'SDP', profile: 'UsernameToken', type: 'Appkey' };
const X_AKSK_PARAMS = ['username', 'passworddigest', 'nonce', 'created'] as const;

const NONCE = /^[A-Za-z0-9]{1,128}$/;
const USERNAME = /^[\x21-\x7e]+$/;
// Canonical standard Base64 (padding required), which is what Huawei's examples and our signer produce.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})+$|^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)$/;

/**
 * Parses the `Authorization` and `X-AKSK` headers of a push (values as Node gives them, or undefined).
 *
 * - Both absent (or empty): `missing_signature` — the platform did not sign (spec §2.2 item 1 says it may not).
 * - Only one present, either one malformed, or longer than {@link MAX_AKSK_HEADER_LENGTH}: `malformed_signature`.
 *
 * Grammar: a scheme (`AKSK`, `UsernameToken`; case-insensitive) then comma-separated `name="value"`
 * parameters, in any order, with optional spaces/tabs after commas and around `=`. Parameter names are
 * case-insensitive; every documented parameter must appear exactly once and no other may appear.
 * Values are quoted, printable ASCII, without `"` or `\`. The `Authorization` values must be exactly
 * `SDP`, `UsernameToken`, `Appkey`; `Nonce` is 1–128 letters or digits; `Created` a real time in
 * 2000–2099 written `yyyy-MM-ddTHH:mm:ss[.fff]Z`; `PasswordDigest` canonical Base64.
 */
export function parseAkskHeaders(authorization: string | undefined, xAksk: string | undefined): AkskParseResult {
  const auth = authorization?.trim() ?? '';
  const aksk = xAksk?.trim() ?? '';
  if (auth === '' && aksk === '') return missing('neither Authorization nor X-AKSK is present');
  if (auth === '') return malformed('X-AKSK is present but Authorization is missing');
  if (aksk === '') return malformed('Authorization is present but X-AKSK is missing');
  if (auth.length > MAX_AKSK_HEADER_LENGTH) return malformed(`Authorization is longer than ${MAX_AKSK_HEADER_LENGTH} characters`);
  if (aksk.length > MAX_AKSK_HEADER_LENGTH) return malformed(`X-AKSK is longer than ${MAX_AKSK_HEADER_LENGTH} characters`);

  const authError = checkAuthorization(auth);
  if (authError !== null) return malformed(authError);

  const akskParams = parseScheme(aksk, 'UsernameToken', 'X-AKSK');
  if (typeof akskParams === 'string') return malformed(akskParams);
  for (const name of akskParams.keys()) {
    if (!(X_AKSK_PARAMS as readonly string[]).includes(name)) return malformed(`X-AKSK has an unknown parameter ${quoteName(name)}`);
  }
  const [username, passwordDigest, nonce, created] = X_AKSK_PARAMS.map((name) => akskParams.get(name));
  if (username === undefined) return malformed('X-AKSK has no Username');
  if (passwordDigest === undefined) return malformed('X-AKSK has no PasswordDigest');
  if (nonce === undefined) return malformed('X-AKSK has no Nonce');
  if (created === undefined) return malformed('X-AKSK has no Created');

  if (username.length > MAX_USERNAME_LENGTH || !USERNAME.test(username)) {
    return malformed(`X-AKSK Username must be 1-${MAX_USERNAME_LENGTH} printable ASCII characters without spaces`);
  }
  if (!BASE64.test(passwordDigest)) return malformed('X-AKSK PasswordDigest is not Base64');
  if (!NONCE.test(nonce)) return malformed('X-AKSK Nonce must be 1-128 letters or digits');
  if (parseCreated(created) === null) return malformed('X-AKSK Created is not a yyyy-MM-ddTHH:mm:ssZ time in 2000-2099');

  return { ok: true, value: { username, passwordDigest, nonce, created } };
}

function checkAuthorization(auth: string): string | null {
  const params = parseScheme(auth, 'AKSK', 'Authorization');
  if (typeof params === 'string') return params;
  for (const name of params.keys()) {
    if (!Object.hasOwn(AUTHORIZATION_PARAMS, name)) return `Authorization has an unknown parameter ${quoteName(name)}`;
  }
  for (const [name, expected] of Object.entries(AUTHORIZATION_PARAMS)) {
    const value = params.get(name);
    if (value === undefined) return `Authorization has no ${name}`;
    if (value !== expected) return `Authorization ${name} must be "${expected}"`;
  }
  return null;
}

// One `name = "value"` parameter; the sticky flag makes it match exactly at lastIndex.
const PARAM = /[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*"([\x20\x21\x23-\x5b\x5d-\x7e]*)"[ \t]*/y;

/** `<scheme> name="value", …` → parameters keyed by lower-cased name, or an error message. */
function parseScheme(text: string, scheme: string, header: string): Map<string, string> | string {
  const head = /^([A-Za-z][A-Za-z0-9_-]*)[ \t]+/.exec(text);
  if (!head || head[1]!.toLowerCase() !== scheme.toLowerCase()) return `${header} must start with "${scheme} "`;
  const params = new Map<string, string>();
  let position = head[0].length;
  for (;;) {
    PARAM.lastIndex = position;
    const match = PARAM.exec(text);
    if (!match) return `${header} parameters must be name="value" pairs separated by commas`;
    const name = match[1]!.toLowerCase();
    if (params.has(name)) return `${header} has ${quoteName(match[1]!)} more than once`;
    params.set(name, match[2]!);
    position = PARAM.lastIndex;
    if (position === text.length) return params;
    if (text[position] !== ',') return `${header} parameters must be name="value" pairs separated by commas`;
    position += 1;
  }
}

/** Parameter names come from the request: quoted and cut short for messages. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

function missing(message: string): AkskParseResult {
  return { ok: false, code: 'missing_signature', message };
}

function malformed(message: string): AkskParseResult {
  return { ok: false, code: 'malformed_signature', message };
}
