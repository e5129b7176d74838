import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPartitions } from '@callpipe/db';
import { createMetricsRegistry, createWorkerMetrics } from '@callpipe/metrics';
import { createLogger } from '@callpipe/runtime';
import { testContext, waitFor, type TestDatabase } from '@callpipe/testkit';
import { createPartitionMaintenance } from '../src/partition-maintenance.ts';

describe('partition maintenance in the worker', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testContext().createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when started, then it creates the partitions ahead at once and reports the DEFAULT partitions as a gauge; stop waits for it', async () => {
    const registry = createMetricsRegistry('worker');
    const metrics = createWorkerMetrics(registry);
    const maintenance = createPartitionMaintenance(
      database.db,
      { aheadDays: 3, retentionDays: 0 },
      createLogger({ level: 'silent' }),
      metrics,
    );
    maintenance.start();
    try {
      await waitFor(async () => (await listPartitions(database.db, 'push_deliveries')).length === 5, {
        what: 'partitions from yesterday to today + 3',
      });
      await waitFor(
        async () => /table="rejected_pushes"[^}]*\} 0/.test(await registry.getSingleMetricAsString('callpipe_db_default_partition_rows')),
        { what: 'gauge set' },
      );
    } finally {
      await maintenance.stop();
    }
    for (const table of ['call_events', 'cdrs', 'rejected_pushes'] as const)
      expect(await listPartitions(database.db, table)).toHaveLength(5);
  });
});
