import { coerceError } from '@callpipe/runtime';
import type { ObjectStore } from '@callpipe/object-store';
import { dayOfKey, manifestKey, type DayManifest } from './layout.ts';
import { readManifest } from './read-back.ts';

export interface ArchivedDay {
  day: string;
  /** `complete`: the manifest is there; `incomplete`: files without a manifest (an archive that did not finish); `damaged`: an unreadable manifest. */
  status: 'complete' | 'incomplete' | 'damaged';
  rows: Record<string, number>;
  bytes: number;
  createdAt: string | null;
  problem?: string;
}

/** Every day in the store, oldest first, with its rows per table as the manifest counts them. */
export async function listArchivedDays(store: ObjectStore): Promise<ArchivedDay[]> {
  const days = new Map<string, { manifest: boolean; bytes: number }>();
  for await (const object of store.list('day=')) {
    const day = dayOfKey(object.key);
    if (day === null) continue;
    const entry = days.get(day) ?? { manifest: false, bytes: 0 };
    entry.bytes += object.bytes;
    if (object.key === manifestKey(day)) entry.manifest = true;
    days.set(day, entry);
  }
  const listed: ArchivedDay[] = [];
  for (const [day, entry] of [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!entry.manifest) {
      listed.push({ day, status: 'incomplete', rows: {}, bytes: entry.bytes, createdAt: null });
      continue;
    }
    let manifest: DayManifest | null;
    try {
      manifest = await readManifest(store, day);
    } catch (error) {
      listed.push({ day, status: 'damaged', rows: {}, bytes: entry.bytes, createdAt: null, problem: coerceError(error).message });
      continue;
    }
    listed.push({
      day,
      status: 'complete',
      rows: Object.fromEntries((manifest?.files ?? []).map((file) => [file.table, file.rows])),
      bytes: entry.bytes,
      createdAt: manifest?.createdAt ?? null,
    });
  }
  return listed;
}
