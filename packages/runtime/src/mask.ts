// Phone numbers are personal data: global format (+86…) or bare Chinese mobiles. Session ids also
// hold long digit runs, but never with a leading + or as an isolated 11-digit mobile number.
const PHONE_PATTERN = /\+\d{6,15}|(?<![\d\w])1[3-9]\d{9}(?![\d\w])/g;

/** `+8613800000001` → `+86138****0001`, `13912345678` → `139****5678`: only the middle digits are hidden. */
export function maskPhoneNumber(number: string): string {
  const visiblePrefix = number.startsWith('+') ? 6 : 3;
  if (number.length < visiblePrefix + 8) return '****';
  return `${number.slice(0, visiblePrefix)}****${number.slice(-4)}`;
}

export function maskPhoneNumbersIn(text: string): string {
  return text.replace(PHONE_PATTERN, maskPhoneNumber);
}

/** Masks every phone number in any string inside a log record, however deep. */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhoneNumbersIn(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return {
      name: value.name,
      message: maskPhoneNumbersIn(value.message),
      stack: value.stack ? maskPhoneNumbersIn(value.stack) : undefined,
      cause: value.cause === undefined ? undefined : maskDeep(value.cause, depth + 1),
    };
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskDeep(inner, depth + 1)]));
}
