import type { Anomaly, AnomalyCode } from './anomaly.ts';
import type { FieldSpec } from './field-spec.ts';
import type { Rejection } from './rejection.ts';
import { readTime } from './time.ts';

/**
 * Field normalizers shared by status events and CDRs: strict about identity (`sessionId`), tolerant
 * about everything else. A field that does not fit its column's type becomes null and an anomaly
 * with the original value; no field ever rejects its record or its push.
 */

const INT32_MAX = 2_147_483_647;
const NUMERIC_TEXT = /^[+-]?\d+(?:\.\d+)?$/;

export type FieldValue = string | number | null;

export interface NormalizedFields {
  values: Record<string, FieldValue>;
  /** Fields that carried a value (not absent, null or `''`) which could not be used: their columns are null. */
  unusable: number;
}

/** Normalizes every field of `specs` found in `source`, appending one anomaly per deviating field. */
export function normalizeFields(specs: readonly FieldSpec[], source: Record<string, unknown>, anomalies: Anomaly[]): NormalizedFields {
  const values: Record<string, FieldValue> = {};
  let unusable = 0;
  for (const spec of specs) {
    const raw = source[spec.name];
    const { value, anomaly } = normalizeValue(spec, raw);
    values[spec.name] = value;
    if (anomaly !== null) {
      anomalies.push({ field: spec.name, code: anomaly, value: raw });
      if (value === null) unusable += 1;
    }
  }
  return { values, unusable };
}

export function normalizeValue(spec: FieldSpec, raw: unknown): { value: FieldValue; anomaly: AnomalyCode | null } {
  if (spec.kind === 'time') {
    const reading = readTime(raw);
    return { value: reading.iso, anomaly: reading.anomaly };
  }
  if (spec.kind === 'integer') return readInteger(raw, spec.flag === true);
  return readText(raw, spec.maxLength);
}

function readInteger(raw: unknown, flag: boolean): { value: number | null; anomaly: AnomalyCode | null } {
  if (raw === undefined || raw === null || raw === '') return { value: null, anomaly: null };
  if (typeof raw === 'boolean')
    return flag ? { value: raw ? 1 : 0, anomaly: 'boolean_as_integer' } : { value: null, anomaly: 'wrong_type' };
  let number: number;
  let anomaly: AnomalyCode | null = null;
  if (typeof raw === 'number') {
    number = raw;
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    if (!NUMERIC_TEXT.test(text)) return { value: null, anomaly: 'unparseable_integer' };
    number = Number(text);
    anomaly = 'integer_as_string';
  } else {
    return { value: null, anomaly: 'wrong_type' };
  }
  // JSON cannot tell 3.0 from 3 once parsed: an integral float is an integer, with no anomaly.
  if (!Number.isInteger(number)) return { value: null, anomaly: Number.isFinite(number) ? 'fractional_integer' : 'unparseable_integer' };
  if (Math.abs(number) > INT32_MAX) return { value: null, anomaly: 'integer_out_of_range' };
  return { value: number === 0 ? 0 : number, anomaly };
}

function readText(raw: unknown, maxLength: number | undefined): { value: string | null; anomaly: AnomalyCode | null } {
  if (raw === undefined || raw === null) return { value: null, anomaly: null };
  if (typeof raw === 'string') {
    return maxLength !== undefined && raw.length > maxLength ? { value: null, anomaly: 'string_too_long' } : { value: raw, anomaly: null };
  }
  if (typeof raw === 'number') {
    const text = exactDecimal(raw);
    return text === null ? { value: null, anomaly: 'imprecise_number' } : { value: text, anomaly: 'number_as_string' };
  }
  return { value: null, anomaly: 'wrong_type' };
}

/** The number's decimal text when it is exactly what was sent: no exponent, no integer beyond 2^53. */
function exactDecimal(value: number): string | null {
  if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) return null;
  const text = String(value);
  return /e/i.test(text) ? null : text;
}

/**
 * The one strict check: a call is identified by its `sessionId`, so it must be readable exactly — a
 * string of 1 to `maxLength` characters without control characters or U+FFFD (which stands for bytes
 * or characters we could not keep), or a non-negative integer taken as its decimal text.
 */
export function readSessionId(
  raw: unknown,
  maxLength: number,
  where: string,
): { ok: true; sessionId: string; anomaly: Anomaly | null } | { ok: false; rejection: Rejection } {
  const reject = (message: string) => ({
    ok: false as const,
    rejection: { code: 'invalid_session_id' as const, message: `${where}.sessionId ${message}` },
  });
  if (raw === undefined || raw === null) return reject('is missing');
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw) || raw < 0) return reject(`is the number ${raw}, which has no exact decimal text`);
    return { ok: true, sessionId: String(raw), anomaly: { field: 'sessionId', code: 'session_id_as_number', value: raw } };
  }
  if (typeof raw !== 'string') return reject(`must be a string, got ${describe(raw)}`);
  if (raw.length === 0) return reject('is empty');
  if (raw.length > maxLength) return reject(`has ${raw.length} characters, at most ${maxLength} allowed`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected here
  if (/[\u0000-\u001f\u007f]/.test(raw)) return reject('contains control characters');
  if (raw.includes('\ufffd')) return reject('contains U+FFFD: characters the platform sent could not be kept');
  return { ok: true, sessionId: raw, anomaly: null };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string`;
  return `a ${typeof value}`;
}
