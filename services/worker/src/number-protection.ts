import { createHmac } from 'node:crypto';

/** Fields that hold phone numbers in status events (statusInfo) and CDRs (FeeInfo). */
const STATUS_NUMBER_FIELDS = ['caller', 'called', 'displayCallerNum'];
const CDR_NUMBER_FIELDS = ['callerNum', 'calleeNum', 'fwdDisplayNum', 'fwdDstNum', 'origCalleeNum', 'displayCallerNum'];
const PHONE_IN_TEXT = /\+\d{6,15}|(?<![\d\w])1[3-9]\d{9}(?![\d\w])/g;
/** What createNumberHasher produces. */
const HASH_TOKEN = /^h:[0-9a-f]{24}$/;

export type NumberHasher = (number: string) => string;

/**
 * Keyed hash of a phone number: the same number always gives the same token (so calls can still be
 * joined and counted per number), but without the key it cannot be reversed or guessed by hashing
 * every number in a range.
 */
export function createNumberHasher(key: string): NumberHasher {
  return (number) => `h:${createHmac('sha256', key).update(number).digest('hex').slice(0, 24)}`;
}

/**
 * Replaces every phone-number field of a push body before it is parsed, normalized and stored.
 * Idempotent: a value that is already a hash token is left as it is, so bodies kept protected
 * (rejections re-admitted by `callpipe rejected readmit`) are not hashed twice.
 */
export function protectPushNumbers(text: string, hash: NumberHasher): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return protectNumbersInText(text, hash);
  }
  if (body === null || typeof body !== 'object') return text;
  const push = body as { statusInfo?: unknown; feeLst?: unknown };
  if (push.statusInfo && typeof push.statusInfo === 'object')
    replaceFields(push.statusInfo as Record<string, unknown>, STATUS_NUMBER_FIELDS, hash);
  if (Array.isArray(push.feeLst)) {
    for (const record of push.feeLst)
      if (record && typeof record === 'object') replaceFields(record as Record<string, unknown>, CDR_NUMBER_FIELDS, hash);
  }
  return JSON.stringify(body);
}

/** For raw bodies that are not JSON (kept in rejected_pushes): anything that looks like a number. */
export function protectNumbersInText(text: string, hash: NumberHasher): string {
  return text.replace(PHONE_IN_TEXT, hash);
}

function replaceFields(target: Record<string, unknown>, fields: string[], hash: NumberHasher): void {
  for (const field of fields) {
    const value = target[field];
    // A number where a string is expected is tolerated by the model (as its decimal text), so it is hashed too.
    if (typeof value === 'string' && value.length > 0 && !HASH_TOKEN.test(value)) target[field] = hash(value);
    else if (typeof value === 'number' && Number.isFinite(value)) target[field] = hash(String(value));
  }
}
