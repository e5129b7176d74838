import type { Migration } from 'kysely';
import * as initialSchema from './0001_initial_schema.ts';
import * as timePartitioning from './0002_time_partitioning.ts';
import * as fieldAnomalies from './0003_field_anomalies.ts';
import * as replayedDeliveries from './0004_replayed_deliveries.ts';
import * as tariffsAndBillingDaily from './0008_tariffs_and_billing_daily.ts';
import * as recordings from './0009_recordings.ts';
import * as callsKeyedByCallTime from './0010_calls_keyed_by_call_time.ts';
import * as vacuumThresholds from './0011_vacuum_thresholds.ts';
import * as documentsWithoutStatistics from './0012_documents_without_statistics.ts';

/** Ordered by name; a static map works the same from source and from the built package. */
export const migrations: Record<string, Migration> = {
  '0001_initial_schema': initialSchema,
  '0002_time_partitioning': timePartitioning,
  '0003_field_anomalies': fieldAnomalies,
  '0004_replayed_deliveries': replayedDeliveries,
  '0008_tariffs_and_billing_daily': tariffsAndBillingDaily,
  '0009_recordings': recordings,
  '0010_calls_keyed_by_call_time': callsKeyedByCallTime,
  '0011_vacuum_thresholds': vacuumThresholds,
  '0012_documents_without_statistics': documentsWithoutStatistics,
};
