import type { AnomalyCode } from './anomaly.ts';

// VoiceCall documents every time as a UTC string `yyyy-MM-dd HH:mm:ss` with no zone marker.
const HUAWEI_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
// What senders write instead: runs of spaces, or ISO 8601 (`T`, fraction, `Z` or an offset).
const TOLERATED_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:( +)|[Tt])(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const UNIX_TEXT = /^\d+(?:\.\d+)?$/;

/** Years outside this range cannot come from a live platform and would poison billing queries. */
export const EARLIEST_PLAUSIBLE_YEAR = 2000;
export const LATEST_PLAUSIBLE_YEAR = 2099;
/**
 * A UNIX timestamp below this is seconds, at or above it milliseconds: 1e11 seconds is the year
 * 5138 and 1e11 milliseconds is 1973-03-03, both outside the plausible years, so no plausible time
 * is ambiguous.
 */
export const UNIX_MILLISECONDS_THRESHOLD = 100_000_000_000;

export type TimeParseResult =
  { ok: true; iso: string } | { ok: false; code: 'invalid_timestamp' | 'timestamp_out_of_range'; message: string };

/**
 * Parses a time in the platform's canonical form only, as UTC, independent of the server's time
 * zone, and returns a canonical ISO string (`2024-06-11T02:30:15.000Z`) that sorts lexicographically
 * like the instants it names. `readTime` is the tolerant reader used for pushes.
 */
export function parseHuaweiTime(text: string): TimeParseResult {
  const match = HUAWEI_TIME.exec(text);
  if (!match) {
    return { ok: false, code: 'invalid_timestamp', message: `expected yyyy-MM-dd HH:mm:ss (UTC), got ${JSON.stringify(truncate(text))}` };
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const millis = calendarMillis(year, month, day, hour, minute, second);
  if (millis === null) return { ok: false, code: 'invalid_timestamp', message: `${JSON.stringify(text)} is not a real calendar time` };
  if (!plausible(millis)) {
    return {
      ok: false,
      code: 'timestamp_out_of_range',
      message: `${JSON.stringify(text)} is outside ${EARLIEST_PLAUSIBLE_YEAR}-${LATEST_PLAUSIBLE_YEAR}`,
    };
  }
  return { ok: true, iso: new Date(millis).toISOString() };
}

/** A UNIX timestamp in seconds, or in milliseconds at or above `UNIX_MILLISECONDS_THRESHOLD`. */
export function parseUnixTime(value: number): TimeParseResult {
  if (!Number.isFinite(value) || value < 0) return { ok: false, code: 'invalid_timestamp', message: `${value} is not a UNIX timestamp` };
  const millis = Math.round(value < UNIX_MILLISECONDS_THRESHOLD ? value * 1000 : value);
  if (!plausible(millis)) {
    return {
      ok: false,
      code: 'timestamp_out_of_range',
      message: `UNIX timestamp ${value} is outside ${EARLIEST_PLAUSIBLE_YEAR}-${LATEST_PLAUSIBLE_YEAR}`,
    };
  }
  return { ok: true, iso: new Date(millis).toISOString() };
}

/** A time read tolerantly: the canonical ISO string (or null) and how the value deviated, if it did. */
export interface TimeReading {
  iso: string | null;
  anomaly: AnomalyCode | null;
}

/**
 * Reads any tolerated spelling of a time; never fails. Absent, null and `''` mean "not set" and
 * are no anomaly (platform builds send `''` for unset times). Canonical `yyyy-MM-dd HH:mm:ss` is
 * read as UTC with no anomaly. Tolerated, with an anomaly: runs of spaces or surrounding blanks;
 * ISO 8601 (`T`, `Z`, fractional seconds truncated to the millisecond, offsets `+08:00`/`+0800`/`+08`
 * converted to UTC); UNIX seconds or milliseconds as numbers or numeric strings (rounded to the
 * millisecond). Anything else, or a time outside the plausible years, reads as null with an anomaly.
 */
export function readTime(value: unknown): TimeReading {
  if (value === undefined || value === null || value === '') return { iso: null, anomaly: null };
  if (typeof value === 'number') return readUnix(value);
  if (typeof value !== 'string') return { iso: null, anomaly: 'wrong_type' };
  const canonical = readCanonicalTime(value);
  if (canonical !== null) return { iso: canonical, anomaly: null };
  const text = value.trim();
  if (UNIX_TEXT.test(text)) return readUnix(Number(text));
  const match = TOLERATED_TIME.exec(text);
  if (!match) return { iso: null, anomaly: 'unparseable_time' };
  const [, y, mo, d, spaces, h, mi, s, fraction, zulu, sign, offsetHours, offsetMinutes] = match;
  let millis = calendarMillis(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (millis === null) return { iso: null, anomaly: 'unparseable_time' };
  if (fraction !== undefined) millis += Number(fraction.slice(0, 3).padEnd(3, '0'));
  if (sign !== undefined) {
    const [hours, minutes] = [Number(offsetHours), Number(offsetMinutes ?? '0')];
    if (hours > 23 || minutes > 59) return { iso: null, anomaly: 'unparseable_time' };
    millis -= (sign === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  if (!plausible(millis)) return { iso: null, anomaly: 'time_out_of_range' };
  const iso = new Date(millis).toISOString();
  if (spaces === undefined || fraction !== undefined || zulu !== undefined || sign !== undefined) return { iso, anomaly: 'time_iso8601' };
  return { iso, anomaly: spaces.length > 1 || text.length !== value.length ? 'time_extra_spaces' : null };
}

/**
 * The documented spelling, read without a regular expression or a Date: nearly every time of every
 * push is in it, and the worker reads several per push. The ISO string of a canonical UTC time is its
 * own digits rearranged. Null for anything else, including a time in this layout that is not on the
 * calendar or not in the plausible years: the general reader above decides those.
 */
function readCanonicalTime(text: string): string | null {
  if (text.length !== 19) return null;
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(10) !== SPACE) return null;
  if (text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON) return null;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < EARLIEST_PLAUSIBLE_YEAR || year > LATEST_PLAUSIBLE_YEAR || month < 1 || month > 12) return null;
  if (day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
    return null;
  return `${text.slice(0, 10)}T${text.slice(11)}.000Z`;
}

const DASH = 0x2d;
const SPACE = 0x20;
const COLON = 0x3a;
const DIGIT_0 = 0x30;

/** The decimal number of `length` ASCII digits at `start`, or -1 if one of them is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let index = start; index < start + length; index += 1) {
    const digit = text.charCodeAt(index) - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function readUnix(value: number): TimeReading {
  const parsed = parseUnixTime(value);
  if (!parsed.ok) return { iso: null, anomaly: parsed.code === 'timestamp_out_of_range' ? 'time_out_of_range' : 'unparseable_time' };
  return { iso: parsed.iso, anomaly: value < UNIX_MILLISECONDS_THRESHOLD ? 'time_unix_seconds' : 'time_unix_milliseconds' };
}

/** Milliseconds since the epoch of a UTC wall-clock time, or null when it names no real instant (Feb 30, 24:00). */
function calendarMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number | null {
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(millis);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? millis : null;
}

function plausible(millis: number): boolean {
  const year = new Date(millis).getUTCFullYear();
  return year >= EARLIEST_PLAUSIBLE_YEAR && year <= LATEST_PLAUSIBLE_YEAR;
}

/** Formats an instant back into the platform's wire format (used by fixtures and the simulator). */
export function formatHuaweiTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Whole seconds from `from` to `to` (ISO strings), or null when either is unknown. */
export function secondsBetween(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  return Math.round((Date.parse(to) - Date.parse(from)) / 1000);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
