export type { Database, Db } from './database.ts';
export type { CallsTable } from './tables/calls.ts';
export type { CallEventsTable } from './tables/call-events.ts';
export type { CdrsTable } from './tables/cdrs.ts';
export type { PushDeliveriesTable } from './tables/push-deliveries.ts';
export type { RejectedPushesTable } from './tables/rejected-pushes.ts';
export { createDatabase, type DatabaseOptions } from './connect.ts';
export { ensureDatabaseExists, migrateToLatest, quoteIdentifier } from './migrate.ts';
export { syncReferenceData } from './reference-data.ts';
export { ensureReadOnlyRole, type ReadOnlyRole, type ReadOnlyRoleResult } from './grafana-role.ts';
export * from './deliveries.ts';
export { storeDeliveries, storeDeliveriesIn } from './store-deliveries.ts';
export { addDays, utcDay } from './days.ts';
export {
  defaultRowCount,
  ensurePartitions,
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
