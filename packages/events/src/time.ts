// VoiceCall sends every time as a UTC string `yyyy-MM-dd HH:mm:ss` with no zone marker.
const HUAWEI_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Years outside this range cannot come from a live platform and would poison billing queries. */
export const EARLIEST_PLAUSIBLE_YEAR = 2000;
export const LATEST_PLAUSIBLE_YEAR = 2099;

export type TimeParseResult =
  { ok: true; iso: string } | { ok: false; code: 'invalid_timestamp' | 'timestamp_out_of_range'; message: string };

/**
 * Parses a VoiceCall time as UTC, independent of the server's time zone, and returns a canonical
 * ISO string (`2024-06-11T02:30:15.000Z`) that sorts lexicographically like the instants it names.
 */
export function parseHuaweiTime(text: string): TimeParseResult {
  const match = HUAWEI_TIME.exec(text);
  if (!match) {
    return { ok: false, code: 'invalid_timestamp', message: `expected yyyy-MM-dd HH:mm:ss (UTC), got ${JSON.stringify(truncate(text))}` };
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(millis);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!roundTrips) {
    return { ok: false, code: 'invalid_timestamp', message: `${JSON.stringify(text)} is not a real calendar time` };
  }
  if (year < EARLIEST_PLAUSIBLE_YEAR || year > LATEST_PLAUSIBLE_YEAR) {
    return {
      ok: false,
      code: 'timestamp_out_of_range',
      message: `${JSON.stringify(text)} is outside ${EARLIEST_PLAUSIBLE_YEAR}-${LATEST_PLAUSIBLE_YEAR}`,
    };
  }
  return { ok: true, iso: date.toISOString() };
}

/** A UNIX timestamp in seconds, or in milliseconds when it is too large to be seconds. */
export function parseUnixTime(value: number): TimeParseResult {
  if (!Number.isFinite(value) || value < 0) return { ok: false, code: 'invalid_timestamp', message: `${value} is not a UNIX timestamp` };
  const millis = value < 100_000_000_000 ? value * 1000 : value;
  const date = new Date(Math.round(millis));
  const year = date.getUTCFullYear();
  if (year < EARLIEST_PLAUSIBLE_YEAR || year > LATEST_PLAUSIBLE_YEAR) {
    return {
      ok: false,
      code: 'timestamp_out_of_range',
      message: `UNIX timestamp ${value} is outside ${EARLIEST_PLAUSIBLE_YEAR}-${LATEST_PLAUSIBLE_YEAR}`,
    };
  }
  return { ok: true, iso: date.toISOString() };
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
