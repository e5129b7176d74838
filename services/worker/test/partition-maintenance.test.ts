import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, ensurePartitions, listPartitions, utcDay } from '@callpipe/db';
import { openObjectStore } from '@callpipe/object-store';
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

  it('when the archive cannot be written, then the expired days are kept, and the failures are counted and the overdue days reported', async () => {
    const fresh = await testContext().createDatabase();
    const folder = await mkdtemp(join(tmpdir(), 'callpipe-worker-archive-'));
    // A file where the archive's folder would be: every put fails.
    await writeFile(join(folder, 'blocker'), 'not a folder');
    const archive = openObjectStore(pathToFileURL(join(folder, 'blocker', 'archive')).href);
    const registry = createMetricsRegistry('worker');
    const metrics = createWorkerMetrics(registry);
    const today = utcDay(new Date());
    // Partitions from 11 to 9 days ago: expired under a 5-day retention.
    await ensurePartitions(fresh.db, { now: new Date(`${addDays(today, -10)}T00:00:00Z`), aheadDays: 0, retentionDays: 0 });
    const maintenance = createPartitionMaintenance(
      fresh.db,
      { aheadDays: 1, retentionDays: 5, archive },
      createLogger({ level: 'silent' }),
      metrics,
    );
    maintenance.start();
    try {
      await waitFor(
        async () =>
          /callpipe_archive_days_overdue\{[^}]*\} 2$/m.test(await registry.getSingleMetricAsString('callpipe_archive_days_overdue')),
        {
          what: 'overdue days reported',
        },
      );
      expect(await registry.getSingleMetricAsString('callpipe_archive_failures_total')).toMatch(
        /callpipe_archive_failures_total\{[^}]*\} 2$/m,
      );
      expect(await registry.getSingleMetricAsString('callpipe_archive_last_success_timestamp_seconds')).toMatch(/_seconds\{[^}]*\} 0$/m);
    } finally {
      await maintenance.stop();
      await archive.close();
    }
    expect((await listPartitions(fresh.db, 'cdrs')).map((partition) => partition.day)).toEqual(
      expect.arrayContaining([addDays(today, -11), addDays(today, -10)]),
    );
    await fresh.drop();
    await rm(folder, { recursive: true, force: true });
  });
});
