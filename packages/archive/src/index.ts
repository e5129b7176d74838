export { archiveDay, ArchiveError, type ArchiveDayOptions } from './archive-day.ts';
export { ARCHIVE_FORMAT, assertDay, dayPrefix, manifestKey, tableKey, type ArchivedFile, type DayManifest } from './layout.ts';
export { listArchivedDays, type ArchivedDay } from './list-days.ts';
export { ArchiveVerificationError, restoreDay, type DayRestore, type RestoredTable, type RestoreOptions } from './restore-day.ts';
export { verifyDay, type DayVerification } from './verify-day.ts';
