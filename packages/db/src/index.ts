export type { Database } from './database.ts';
export type { CallsTable } from './tables/calls.ts';
export type { CallEventsTable } from './tables/call-events.ts';
export type { CdrsTable } from './tables/cdrs.ts';
export type { PushDeliveriesTable } from './tables/push-deliveries.ts';
export type { RejectedPushesTable } from './tables/rejected-pushes.ts';
export { createDatabase, type DatabaseOptions } from './connect.ts';
export { ensureDatabaseExists, migrateToLatest, quoteIdentifier } from './migrate.ts';
export { syncReferenceData } from './reference-data.ts';
export * from './deliveries.ts';
export { storeDeliveries, storeDeliveriesIn, utcDay } from './store-deliveries.ts';
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
export { storeRefusedPushes } from './refused-pushes.ts';
export { isRetryableDatabaseError } from './retryable.ts';
export {
  CALL_COLUMNS,
  callRow,
  CDR_DERIVED_COLUMNS,
  cdrDerivedRow,
  changedColumns,
  recordsetTypes,
  updateAssignments,
  type Row,
} from './row-shapes.ts';
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
