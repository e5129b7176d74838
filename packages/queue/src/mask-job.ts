import { maskPhoneNumbersIn } from '@callpipe/runtime';

/**
 * Job data as an operator may see it: phone numbers masked in every string at any depth, raw push
 * bodies included. A body kept as base64 (not UTF-8) is masked in its bytes and re-encoded, as
 * `callpipe rejected show` does, so the numbers in it are hidden too. Numbers are hashed only
 * later, in the worker, so queued jobs always hold them in the clear.
 */
export function maskJobData(value: unknown): unknown {
  if (typeof value === 'string') return maskPhoneNumbersIn(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(maskJobData);
  const record = value as Record<string, unknown>;
  const masked = Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, maskJobData(inner)]));
  if (record['bodyEncoding'] === 'base64' && typeof record['body'] === 'string') {
    masked['body'] = Buffer.from(maskPhoneNumbersIn(Buffer.from(record['body'], 'base64').toString('latin1')), 'latin1').toString('base64');
  }
  return masked;
}
