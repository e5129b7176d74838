import type { ArchivedTable } from '@callpipe/db';

/** Bumped when the layout or the row encoding changes; readers refuse formats they do not know. */
export const ARCHIVE_FORMAT = 1;

export interface ArchivedFile {
  table: ArchivedTable;
  key: string;
  rows: number;
  /** Of the stored (gzipped) object. */
  bytes: number;
  sha256: string;
}

/** Written last: a day with a manifest is complete. */
export interface DayManifest {
  format: typeof ARCHIVE_FORMAT;
  day: string;
  /** The last migration applied when the rows were read: the shape of the rows. */
  schemaMigration: string | null;
  createdAt: string;
  files: ArchivedFile[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function assertDay(day: string): void {
  if (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day)
    throw new RangeError(`invalid day ${JSON.stringify(day)}: use YYYY-MM-DD`);
}

export const dayPrefix = (day: string) => `day=${day}/`;
export const tableKey = (day: string, table: ArchivedTable) => `${dayPrefix(day)}${table}.ndjson.gz`;
export const manifestKey = (day: string) => `${dayPrefix(day)}manifest.json`;

/** The day of a key in the layout, or null. */
export function dayOfKey(key: string): string | null {
  const match = /^day=(\d{4}-\d{2}-\d{2})\//.exec(key);
  return match ? match[1]! : null;
}
