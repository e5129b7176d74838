import { describe, expect, it } from 'vitest';
import { BatchWriter } from './batch-writer.ts';

const retryable = (error: unknown) => error instanceof Error && error.message === 'outage';

describe('BatchWriter', () => {
  it('when items are submitted together, then they are written in one batch and every submitter resolves', async () => {
    const writes: number[][] = [];
    const writer = new BatchWriter<number>(async (items) => void writes.push(items), {
      maxBatch: 10,
      maxWaitMs: 5,
      maxParallel: 1,
      isRetryable: retryable,
    });
    await Promise.all([1, 2, 3].map((item) => writer.submit(item)));
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('when more items arrive than a batch holds, then they are split at maxBatch', async () => {
    const writes: number[][] = [];
    const writer = new BatchWriter<number>(async (items) => void writes.push(items), {
      maxBatch: 2,
      maxWaitMs: 5,
      maxParallel: 1,
      isRetryable: retryable,
    });
    await Promise.all([1, 2, 3, 4, 5].map((item) => writer.submit(item)));
    expect(writes.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(Math.max(...writes.map((batch) => batch.length))).toBeLessThanOrEqual(2);
  });

  it('when a batch fails for good, then it is retried item by item so only the poison item fails', async () => {
    const writer = new BatchWriter<number>(
      async (items) => {
        if (items.includes(13)) throw new Error('poison');
      },
      { maxBatch: 10, maxWaitMs: 5, maxParallel: 1, isRetryable: retryable },
    );
    const results = await Promise.allSettled([12, 13, 14].map((item) => writer.submit(item)));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('when a batch fails with an outage, then every item fails with it and nothing is split', async () => {
    let calls = 0;
    const writer = new BatchWriter<number>(
      async () => {
        calls += 1;
        throw new Error('outage');
      },
      { maxBatch: 10, maxWaitMs: 5, maxParallel: 1, isRetryable: retryable },
    );
    const results = await Promise.allSettled([1, 2, 3].map((item) => writer.submit(item)));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
  });

  it('when draining, then pending items are written before drain resolves', async () => {
    const written: number[] = [];
    const writer = new BatchWriter<number>(async (items) => void written.push(...items), {
      maxBatch: 100,
      maxWaitMs: 1_000,
      maxParallel: 1,
      isRetryable: retryable,
    });
    const pending = writer.submit(7);
    await writer.drain();
    await pending;
    expect(written).toEqual([7]);
  });

  it('when items are submitted together beyond one batch, then they fill parallel batches and each settles on its own', async () => {
    const batches: number[][] = [];
    const writer = new BatchWriter<number>(
      async (items) => {
        batches.push([...items]);
        if (items.includes(13)) throw new Error('poison');
      },
      { maxBatch: 4, maxWaitMs: 1_000, maxParallel: 2, isRetryable: retryable },
    );
    const results = await writer.submitAll([10, 11, 12, 13, 14, 15, 16, 17, 18]);
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    // Two full batches start at once without waiting for the timer; the failing one is retried item by item.
    expect(batches.slice(0, 2)).toEqual([
      [10, 11, 12, 13],
      [14, 15, 16, 17],
    ]);
    expect(batches.flat().filter((item) => item === 18)).toHaveLength(1);
  });
});
