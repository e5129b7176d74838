import { archiveDay } from '@callpipe/archive';
import { openObjectStore, type ObjectStore } from '@callpipe/object-store';
import { archiveSettings } from '@callpipe/worker';
import type { PartitionsConfig } from './partitions.ts';

/** The archive of CALLPIPE_ARCHIVE_URL for the work, closed after it; `null` when the variable is empty. */
export async function withArchiveStore<T>(config: PartitionsConfig, work: (store: ObjectStore | null) => Promise<T>): Promise<T> {
  const { url, s3 } = archiveSettings(config);
  const store = url === null ? null : openObjectStore(url, s3);
  try {
    return await work(store);
  } finally {
    await store?.close();
  }
}

/** The `archiveDay` option of `ensurePartitions` for a store, or nothing (expired days dropped unarchived). */
export function archiveOption(
  db: Parameters<typeof archiveDay>[0],
  store: ObjectStore | null,
): { archiveDay?: (day: string) => Promise<void> } {
  return store === null ? {} : { archiveDay: (day) => archiveDay(db, store, day).then(() => undefined) };
}
