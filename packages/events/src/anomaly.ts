import { cdrFieldSpecs } from './cdr-fields.ts';
import { statusFieldSpecs } from './status-fields.ts';

/**
 * Everything callpipe accepted although it was not in the canonical form, recorded instead of
 * rejected. A closed list with stable codes: they are stored next to the rows and used as a metric
 * label, so they never change meaning. Canonical input records none.
 */
export const anomalyDescriptions = {
  // Push level: the verdict carries these, and the original bytes when the text had to change.
  invalid_utf8_replaced: 'the body was not valid UTF-8; invalid byte sequences were decoded as U+FFFD (original bytes kept)',
  unstorable_text_replaced:
    'a string or key held NUL or a lone UTF-16 surrogate, which Postgres cannot store; each was replaced by U+FFFD (original bytes kept)',
  fee_list_over_limit: 'feeLst held more than the documented 50 records; all of them were accepted',
  // Identity: still strict, only the spelling was tolerated.
  session_id_as_number: 'sessionId was a JSON number; its decimal text is the session id',
  // Times (canonical: `yyyy-MM-dd HH:mm:ss`, UTC).
  time_extra_spaces: 'a run of spaces (or surrounding blanks) around the date and time, as in Huawei’s Java demo',
  time_iso8601: 'ISO 8601 spelling: `T` separator, `Z`, fractional seconds (kept to the millisecond) or an offset (converted to UTC)',
  time_unix_seconds: 'a UNIX timestamp in seconds (number or numeric string)',
  time_unix_milliseconds: 'a UNIX timestamp in milliseconds (number or numeric string)',
  time_out_of_range: 'a readable time outside the years 2000–2099; stored as NULL',
  unparseable_time: 'no time could be read from the value; stored as NULL',
  // Integers (canonical: a JSON integer).
  integer_as_string: 'an integer written as a numeric string',
  boolean_as_integer: 'true/false for a 0/1 flag',
  fractional_integer: 'a number with a fractional part where an integer is expected; stored as NULL',
  integer_out_of_range: 'an integer outside the 32-bit range of the column; stored as NULL',
  unparseable_integer: 'no integer could be read from the value; stored as NULL',
  // Strings (canonical: a JSON string).
  number_as_string: 'a JSON number where a string is expected; its decimal text is stored',
  imprecise_number: 'a JSON number whose decimal text would not be exact (beyond 2^53 or in exponent form); stored as NULL',
  string_too_long: 'a string longer than the column’s bound; stored as NULL',
  // Any kind.
  wrong_type: 'a boolean, object or array where the field cannot hold one; stored as NULL',
} as const;

export type AnomalyCode = keyof typeof anomalyDescriptions;
export const anomalyCodes = Object.keys(anomalyDescriptions) as AnomalyCode[];

/**
 * One deviation from the canonical form. `field` names a documented field (`callEndTime`), a JSON
 * path for push-level findings (`feeLst[3].hostName`), or `body`. `value` is the original value as
 * received — except for unstorable text, where it is the original's JSON escape text (`"a\u0000b"`),
 * since the original itself cannot be stored.
 */
export interface Anomaly {
  field: string;
  code: AnomalyCode;
  value: unknown;
}

export function isAnomalyCode(value: string): value is AnomalyCode {
  return Object.hasOwn(anomalyDescriptions, value);
}

const documentedFields: ReadonlySet<string> = new Set([
  ...statusFieldSpecs.map((spec) => spec.name),
  ...cdrFieldSpecs.map((spec) => spec.name),
  'sessionId',
  'eventType',
  'statusInfo',
  'feeLst',
  'body',
]);

/**
 * A bounded metric label for an anomaly's field: the documented field name (the last segment of a
 * path, `feeLst[3].hostName` → `hostName`), else `other` — unknown fields are the platform's to name.
 */
export function anomalyFieldLabel(field: string): string {
  const last = field.slice(field.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
  return documentedFields.has(last) ? last : 'other';
}
