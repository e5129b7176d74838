// `Created` as documented: `yyyy-MM-ddTHH:mm:ssZ` (spec §2.1); Node's toISOString() form with
// milliseconds is accepted too (any 1–9 fractional digits, truncated to milliseconds).
const CREATED = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Years outside this range cannot come from a live platform clock. */
export const EARLIEST_CREATED_YEAR = 2000;
export const LATEST_CREATED_YEAR = 2099;

/** Beijing time (UTC+8), which the current push pages say `Created` is in despite its `Z`. */
export const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

/**
 * Reads a `Created` value as written (the `Z` taken at its word, i.e. UTC). Returns null when it
 * is not in the documented format, not a real calendar time, or outside 2000–2099.
 */
export function parseCreated(text: string): Date | null {
  const match = CREATED.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (year < EARLIEST_CREATED_YEAR || year > LATEST_CREATED_YEAR) return null;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? date : null;
}

/** Formats an instant as a documented `Created` value in UTC, `yyyy-MM-ddTHH:mm:ssZ` (no milliseconds). */
export function formatCreated(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('formatCreated: invalid Date');
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Which reading of `Created` matched: as UTC (its `Z`), or as Beijing time written with a `Z`. */
export type CreatedZone = 'utc' | 'beijing';

/** Which readings a verifier accepts; see spec §2.2 items 5 and 7. */
export type CreatedZones = 'utc' | 'utc_or_beijing';

/** The instants a parsed `Created` may stand for, UTC reading first. */
export function createdReadings(createdUtc: Date, zones: CreatedZones): Array<{ zone: CreatedZone; at: Date }> {
  const readings: Array<{ zone: CreatedZone; at: Date }> = [{ zone: 'utc', at: createdUtc }];
  if (zones === 'utc_or_beijing') readings.push({ zone: 'beijing', at: new Date(createdUtc.getTime() - BEIJING_OFFSET_MS) });
  return readings;
}
