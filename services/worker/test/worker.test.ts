import { describe, expect, it } from 'vitest';
import { createRandom, demoAppKeys, expectedCall, generateCalls, type Push } from '@callpipe/fixtures';
import { waitFor } from '@callpipe/testkit';
import { pushJob, workerFixture } from './support.ts';
import { sql } from 'kysely';

const appBusiness = Object.entries(demoAppKeys)
  .map(([business, key]) => `${key}=${business}`)
  .join(',');
const fixture = workerFixture('worker', {
  CALLPIPE_APP_BUSINESS: appBusiness,
  WORKER_CONCURRENCY: '64',
  WORKER_BATCH_MAX: '32',
  WORKER_MAX_ATTEMPTS: '2',
  WORKER_RETRY_BASE_MS: '10',
  WORKER_RETRY_MAX_MS: '100',
});
const job = pushJob;

async function count(table: 'push_deliveries' | 'rejected_pushes'): Promise<number> {
  const result = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(fixture.database.db);
  return Number(result.rows[0]!.n);
}

describe('worker', () => {
  it('when generated calls are queued scrambled with redeliveries, then calls, events and CDRs match the pure model', async () => {
    const calls = generateCalls(11, 80, { lossProbability: 0.1 });
    const random = createRandom(3);
    const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]);
    const redelivered = pushes.filter(() => random.chance(0.25));
    const jobs = random.shuffle([...pushes, ...redelivered]).map((push) => job(push));
    await fixture.queue.addBulk(jobs);
    await waitFor(async () => (await count('push_deliveries')) === jobs.length, { what: 'all deliveries stored' });

    for (const call of calls) {
      const { facts, summary } = expectedCall(call);
      const row = await fixture.database.db
        .selectFrom('calls')
        .selectAll()
        .where('session_id', '=', call.sessionId)
        .executeTakeFirstOrThrow();
      expect(row.facts).toEqual(facts);
      expect(row).toMatchObject({
        business: call.business,
        business_source: 'app_key',
        state: 'ended',
        outcome: summary.outcome,
        has_cdr: true,
      });
    }
    const cdrDeliveries = await fixture.database.db
      .selectFrom('cdrs')
      .select((eb) => eb.fn.sum<string>('delivery_count').as('total'))
      .executeTakeFirstOrThrow();
    const cdrPushes = [...pushes, ...redelivered].filter((push) => push.eventType === 'fee').length;
    expect(Number(cdrDeliveries.total)).toBe(cdrPushes);
  });

  it('when the ingest rejected a push, then the worker keeps it in rejected_pushes', async () => {
    const rejected = job('not json', { rejection: { code: 'invalid_json', message: 'bad', bodyTruncated: false } });
    await fixture.queue.addBulk([rejected]);
    const row = await waitFor(
      () =>
        fixture.database.db
          .selectFrom('rejected_pushes')
          .selectAll()
          .where('delivery_id', '=', rejected.data.deliveryId)
          .executeTakeFirst(),
      { what: 'rejected push kept' },
    );
    expect(row).toMatchObject({ stage: 'ingest', reason_code: 'invalid_json', body_truncated: false });
    expect(row.body?.toString('utf8')).toBe('not json');
  });

  it('when a job was queued before the rename (name refused, field refusal), then it is still filed as rejected', async () => {
    const { rejection: _current, ...data } = job('not json').data;
    await fixture.queue.add(
      'refused' as never,
      { ...data, refusal: { code: 'invalid_json', message: 'bad', bodyTruncated: true } } as never,
      {
        jobId: data.deliveryId,
      },
    );
    const row = await waitFor(
      () => fixture.database.db.selectFrom('rejected_pushes').selectAll().where('delivery_id', '=', data.deliveryId).executeTakeFirst(),
      { what: 'old-shaped rejected push kept' },
    );
    expect(row).toMatchObject({ stage: 'ingest', reason_code: 'invalid_json', body_truncated: true });
    expect(row.body?.toString('utf8')).toBe('not json');
  });

  it('when a job can never be stored, then it becomes a dead letter after its attempts and its batch neighbours are stored', async () => {
    const [call, neighbour] = generateCalls(12, 2);
    const poison = job({ eventType: 'fee', feeLst: [call!.cdr] }, { deliveryId: 'not-a-uuid' });
    const good = job({ eventType: 'fee', feeLst: [neighbour!.cdr] });
    await fixture.queue.addBulk([poison, good]);
    const failed = await waitFor(async () => (await fixture.queue.getFailed()).find((candidate) => candidate.id === 'not-a-uuid'), {
      what: 'poison job failed',
    });
    expect(failed.attemptsMade).toBe(2);
    expect(failed.failedReason).toMatch(/uuid/i);
    await waitFor(
      () => fixture.database.db.selectFrom('cdrs').select('session_id').where('session_id', '=', neighbour!.sessionId).executeTakeFirst(),
      { what: 'neighbour stored' },
    );
    const poisonRows = await fixture.database.db
      .selectFrom('cdrs')
      .select('session_id')
      .where('session_id', '=', call!.sessionId)
      .execute();
    expect(poisonRows).toHaveLength(0);
  });

  it('when pushes arrive as batch jobs with redeliveries across batches, then each delivery is stored once and the calls match', async () => {
    const calls = generateCalls(21, 40);
    const random = createRandom(5);
    const pushes: Push[] = random.shuffle(
      calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr] }]),
    );
    const jobs = pushes.map((push) => job(push));
    // The same delivery queued in two batches (a job re-run after a crash) must count once.
    const repeated = jobs.slice(0, 10);
    const batches = [];
    for (let start = 0; start < jobs.length; start += 25) batches.push(jobs.slice(start, start + 25));
    batches.push(repeated);
    await fixture.queue.addBulk(
      batches.map((batch) => ({ name: 'batch' as const, data: { pushes: batch.map(({ name, data }) => ({ name, data })) } })),
    );
    const ids = jobs.map((entry) => entry.data.deliveryId);
    await waitFor(
      async () =>
        Number(
          (
            await fixture.database.db
              .selectFrom('push_deliveries')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .where('delivery_id', 'in', ids)
              .executeTakeFirstOrThrow()
          ).n,
        ) === ids.length,
      {
        what: 'all batched deliveries stored',
      },
    );
    await waitFor(async () => (await fixture.queue.getJobCounts('active')).active === 0, { what: 'batches settled' });
    const sessionIds = calls.map((call) => call.sessionId);
    const cdrCounts = await fixture.database.db
      .selectFrom('cdrs')
      .select(['session_id', 'delivery_count'])
      .where('session_id', 'in', sessionIds)
      .execute();
    expect(cdrCounts).toHaveLength(calls.length);
    expect(cdrCounts.every((row) => row.delivery_count === 1)).toBe(true);
    const ended = await fixture.database.db
      .selectFrom('calls')
      .select('session_id')
      .where('session_id', 'in', sessionIds)
      .where('state', '=', 'ended')
      .execute();
    expect(ended).toHaveLength(calls.length);
  });

  it('when one push of a batch job can never be stored, then it is split off as its own job and dead-lettered alone while the rest is stored', async () => {
    const [call, ...neighbours] = generateCalls(22, 4);
    const poison = job({ eventType: 'fee', feeLst: [call!.cdr] }, { deliveryId: 'poison-in-a-batch' });
    const good = neighbours.map((neighbour) => job({ eventType: 'fee', feeLst: [neighbour.cdr] }));
    await fixture.queue.add('batch', { pushes: [good[0]!, poison, ...good.slice(1)].map(({ name, data }) => ({ name, data })) });
    const failed = await waitFor(async () => (await fixture.queue.getFailed()).find((candidate) => candidate.id === 'poison-in-a-batch'), {
      what: 'poison split off and dead-lettered',
    });
    expect(failed.name).toBe('fee');
    expect(failed.attemptsMade).toBe(2);
    const stored = await fixture.database.db
      .selectFrom('cdrs')
      .select('session_id')
      .where(
        'session_id',
        'in',
        neighbours.map((neighbour) => neighbour.sessionId),
      )
      .execute();
    expect(stored).toHaveLength(neighbours.length);
    const failedBatches = (await fixture.queue.getFailed()).filter((candidate) => candidate.name === 'batch');
    expect(failedBatches).toHaveLength(0);
  });

  it('when a push the ingest accepted fails the worker model, then it is kept as a worker rejection', async () => {
    // An older ingest, or a replay tool, may have queued what this model cannot attribute to a call.
    const odd = job(JSON.stringify({ eventType: 'callout', statusInfo: { timestamp: '2024-06-11 02:31:23' } }));
    await fixture.queue.addBulk([odd]);
    const row = await waitFor(
      () => fixture.database.db.selectFrom('rejected_pushes').selectAll().where('delivery_id', '=', odd.data.deliveryId).executeTakeFirst(),
      { what: 'worker rejection' },
    );
    expect(row).toMatchObject({ stage: 'worker', reason_code: 'invalid_session_id' });
  });
});
