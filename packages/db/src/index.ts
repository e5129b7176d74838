export type { Database, Db } from './database.ts';
export type { CallsTable } from './tables/calls.ts';
export type { CallEventsTable } from './tables/call-events.ts';
export type { CdrsTable } from './tables/cdrs.ts';
export type { PushDeliveriesTable } from './tables/push-deliveries.ts';
export type { RejectedPushesTable } from './tables/rejected-pushes.ts';
export { recordingStatuses, type RecordingsTable, type RecordingStatus } from './tables/recordings.ts';
export {
  countMissingRecordingTasks,
  createMissingRecordingTasks,
  createRecordingTasks,
  RECORDING_RETENTION_DAYS,
} from './recording-tasks.ts';
export * from './recording-queries.ts';
export { createDatabase, type DatabaseOptions } from './connect.ts';
export {
  describeHosts,
  formatPostgresUrl,
  parsePostgresUrl,
  postgresUrlProblem,
  withDatabase,
  type PostgresHost,
  type PostgresUrl,
} from './postgres-url.ts';
export { connectToPrimary, NoUsableHostError } from './primary-locator.ts';
export { ensureDatabaseExists, migrateToLatest, quoteIdentifier } from './migrate.ts';
export { migrations } from './migrations/index.ts';
export { syncReferenceData } from './reference-data.ts';
export { ensureReadOnlyRole, type ReadOnlyRole, type ReadOnlyRoleResult } from './grafana-role.ts';
export * from './deliveries.ts';
export { storeDeliveries, storeDeliveriesIn, type StoreOptions } from './store-deliveries.ts';
export type { TariffsTable } from './tables/tariffs.ts';
export type { BillingContributionsTable, BillingDailyTable } from './tables/billing-daily.ts';
export { loadTariffs, setTariff, type TariffToSet } from './tariffs-queries.ts';
export {
  billingDailyFromScratch,
  readBillingDaily,
  rebuildBillingRollup,
  refreshBillingRollup,
  type BillingDailyRow,
  type RebuildOutcome,
  type RollupOutcome,
} from './billing-rollup.ts';
export { addDays, utcDay } from './days.ts';
export {
  defaultRowCount,
  ensureDayPartitions,
  ensurePartitions,
  expiredDays,
  listPartitions,
  partitionName,
  partitionStatus,
  PARTITIONED_TABLES,
  type PartitionedTable,
  type PartitionInfo,
  type PartitionMaintenanceOptions,
  type PartitionMaintenanceResult,
  type PartitionStatus,
} from './partitions.ts';
export {
  ARCHIVED_TABLES,
  countDayRows,
  latestMigration,
  readDayRows,
  restoreCallRows,
  restoreDayRows,
  restoreReplayedDeliveries,
  type ArchivedTable,
} from './archive-queries.ts';
export { storeRejectedPushes } from './store-rejected-pushes.ts';
export { isRetryableDatabaseError } from './retryable.ts';
export { CALL_COLUMNS, callRow, type CallRow } from './call-row.ts';
export { CDR_DERIVED_COLUMNS, cdrDerivedRow, type CdrDerivedRow } from './cdr-row.ts';
export { CALL_EVENT_DERIVED_COLUMNS, callEventDerivedRow, type CallEventDerivedRow } from './call-event-row.ts';
export { changedColumns } from './changed-columns.ts';
export { recordsetTypes, type PgType } from './recordset.ts';
export { updateCallRows } from './upsert-calls.ts';
export {
  readStoredCalls,
  selectCallIds,
  updateDerivedCallEvents,
  updateDerivedCdrs,
  type CallSelection,
  type RederivedCallEventRow,
  type RederivedCdrRow,
  type StoredCalls,
} from './reprocess-queries.ts';
export { readStoredForClassification, type StoredForClassification } from './classify-queries.ts';
export {
  countReadmitted,
  findRejected,
  listRejected,
  markReadmitted,
  rejectedToReadmit,
  type ReadmittedMark,
  type RejectedFilter,
  type RejectedRow,
  type RejectedSummary,
} from './rejected-queries.ts';
export {
  callsToCompare,
  countMissingCdrsByApp,
  missingCdrsByAppQuery,
  DEFAULT_CDR_HORIZON_MS,
  listCdrsWithoutStatus,
  listMissingCdrs,
  missingCdr,
  MISSING_CDR_BOARD_CONDITION,
  reconcileDayCounts,
  type CallToCompare,
  type ReconcileCall,
  type ReconcileDayCounts,
  type ReconcilePeriod,
} from './reconcile-queries.ts';
export {
  CALL_EVENT_EXPORT_COLUMNS,
  CALL_EXPORT_COLUMNS,
  CDR_EXPORT_COLUMNS,
  cdrRecordFieldNames,
  exportCallEvents,
  exportCalls,
  exportCdrs,
  inExportSnapshot,
  type CallEventExportRow,
  type CallExportRow,
  type CdrExportRow,
  type ExportColumnKind,
  type ExportPaging,
  type ExportSelection,
} from './export-queries.ts';
export { appsOfServiceType, hasCallTables, migrationStatus, serverVersion, type MigrationStatus } from './status-queries.ts';
