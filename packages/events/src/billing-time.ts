/**
 * Billing days: platform times are UTC and stored as instants, but the customer's books cut days
 * and months where they are (Beijing time for most VoiceCall users). These helpers turn instants
 * into billing days of an IANA time zone and back, daylight-saving changes included.
 */

/** CALLPIPE_BILLING_TIME_ZONE's default: the books of most VoiceCall customers are in Beijing time. */
export const DEFAULT_BILLING_TIME_ZONE = 'Asia/Shanghai';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/;
const WITH_OFFSET = /(?:Z|[+-]\d{2}:?\d{2})$/i;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `name` is an IANA time zone this runtime knows (`Asia/Shanghai`, `UTC`). */
export function isTimeZone(name: string): boolean {
  if (name.trim() !== name || name === '') return false;
  try {
    formatterOf(name);
    return true;
  } catch {
    return false;
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClockOf(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(instant)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** The zone's offset from UTC at `instant`, in milliseconds (Asia/Shanghai: +8 h). */
function offsetMs(instant: Date, timeZone: string): number {
  const wall = wallClockOf(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which the zone's clocks show this wall time (the later one when a DST gap or overlap makes it ambiguous). */
function instantOfWallTime(wallAsUtcMs: number, timeZone: string): Date {
  const first = wallAsUtcMs - offsetMs(new Date(wallAsUtcMs), timeZone);
  const second = wallAsUtcMs - offsetMs(new Date(first), timeZone);
  return new Date(second);
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The billing day (`YYYY-MM-DD`) that `instant` falls on in `timeZone`. */
export function billingDayOf(instant: Date, timeZone: string): string {
  const wall = wallClockOf(instant, timeZone);
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
}

/** The billing month (`YYYY-MM`) that `instant` falls on in `timeZone`. */
export function billingMonthOf(instant: Date, timeZone: string): string {
  return billingDayOf(instant, timeZone).slice(0, 7);
}

/** The UTC instant at which billing day `day` (`YYYY-MM-DD`) starts in `timeZone`. */
export function startOfBillingDay(day: string, timeZone: string): Date {
  const match = DAY.exec(day);
  if (!match) throw new RangeError(`${JSON.stringify(day)} is not a day (YYYY-MM-DD)`);
  return instantOfWallTime(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])), timeZone);
}

/** `[start, end)` of billing day `day` in `timeZone`, as UTC instants (23 or 25 hours on DST days). */
export function billingDayRange(day: string, timeZone: string): { start: Date; end: Date } {
  const start = startOfBillingDay(day, timeZone);
  const next = new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) + 1));
  return { start, end: startOfBillingDay(next.toISOString().slice(0, 10), timeZone) };
}

/**
 * A period bound given on a command line: an instant with an offset (`2026-11-30T16:00:00Z`,
 * `…+08:00`) as is; a day (`2026-12-01`) or a wall time without offset (`2026-12-01T08:30`) in the
 * billing time zone. Returns null for anything else.
 */
export function parsePeriodBound(text: string, timeZone: string): Date | null {
  const trimmed = text.trim();
  if (DAY.test(trimmed)) return isRealDay(trimmed) ? startOfBillingDay(trimmed, timeZone) : null;
  const local = LOCAL_TIME.exec(trimmed);
  if (local) {
    const [, year, month, day, hour, minute, second = '0', millis = '0'] = local;
    if (!isRealDay(`${year}-${month}-${day}`) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
    const wall = Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
      Number(millis.padEnd(3, '0')),
    );
    return instantOfWallTime(wall, timeZone);
  }
  if (WITH_OFFSET.test(trimmed) && /^\d{4}-\d{2}-\d{2}T/.test(trimmed)) {
    const instant = new Date(trimmed);
    return Number.isNaN(instant.getTime()) ? null : instant;
  }
  return null;
}

function isRealDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}
