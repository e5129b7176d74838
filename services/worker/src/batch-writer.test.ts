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

  describe('with conflict keys', () => {
    /** Items are `call:n`; each write is held open until the test releases it, so overlap is observable. */
    function heldWriter(maxParallel: number, maxBatch = 3) {
      const started: string[][] = [];
      const releases: Array<() => void> = [];
      let open = 0;
      let maxOpenWithSharedKey = 0;
      const openKeys = new Map<string, number>();
      const writer = new BatchWriter<string>(
        async (items) => {
          started.push([...items]);
          open += 1;
          const keys = new Set(items.map((item) => item.split(':')[0]!));
          for (const key of keys) {
            openKeys.set(key, (openKeys.get(key) ?? 0) + 1);
            maxOpenWithSharedKey = Math.max(maxOpenWithSharedKey, openKeys.get(key)!);
          }
          await new Promise<void>((resolve) => releases.push(resolve));
          for (const key of keys) openKeys.set(key, openKeys.get(key)! - 1);
          open -= 1;
        },
        { maxBatch, maxWaitMs: 0, maxParallel, isRetryable: retryable, conflictKeys: (item) => [item.split(':')[0]!] },
      );
      const releaseAll = async () => {
        while (open > 0 || releases.length > 0) {
          releases.shift()?.();
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      return { writer, started, releases, releaseAll, maxOverlap: () => maxOpenWithSharedKey };
    }

    it('when a pending item shares a call with a batch in flight, then the next batch leaves it for later and takes the others', async () => {
      const { writer, started, releases, releaseAll } = heldWriter(2);
      const results = writer.submitAll(['a:1', 'b:1', 'c:1', 'a:2', 'd:1', 'b:2', 'e:1']);
      await new Promise((resolve) => setImmediate(resolve));
      // The first batch holds a, b and c; the second skips a:2 and b:2.
      expect(started).toEqual([
        ['a:1', 'b:1', 'c:1'],
        ['d:1', 'e:1'],
      ]);
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
      // Once the first commits, the held items go first, in their order.
      expect(started[2]).toEqual(['a:2', 'b:2']);
      await releaseAll();
      expect((await results).every((result) => result.status === 'fulfilled')).toBe(true);
    });

    it('when many items of few calls arrive, then no two batches in flight ever share a call, and every item is written once', async () => {
      const { writer, started, releaseAll, maxOverlap } = heldWriter(3, 4);
      const items = Array.from({ length: 60 }, (_, index) => `${'abcdefg'[index % 7]}:${index}`);
      const results = writer.submitAll(items);
      await releaseAll();
      await writer.drain();
      expect((await results).every((result) => result.status === 'fulfilled')).toBe(true);
      expect(started.flat().sort()).toEqual([...items].sort());
      expect(maxOverlap()).toBe(1);
    });

    it('when every pending item conflicts with the batch in flight, then drain still waits for all of them', async () => {
      const { writer, started, releaseAll } = heldWriter(2, 1);
      const results = writer.submitAll(['a:1', 'a:2', 'a:3']);
      const drained = writer.drain().then(() => started.length);
      await releaseAll();
      expect(await drained).toBe(3);
      expect(started).toEqual([['a:1'], ['a:2'], ['a:3']]);
      expect((await results).every((result) => result.status === 'fulfilled')).toBe(true);
    });

    it('when a batch holding a call fails for good, then its items are retried one by one while the call stays held, and every other item settles', async () => {
      const writes: string[][] = [];
      let firstWriteOpen = 0;
      const writer = new BatchWriter<string>(
        async (items) => {
          writes.push([...items]);
          if (items.length > 1 && items.includes('a:poison')) {
            firstWriteOpen += 1;
            await new Promise((resolve) => setImmediate(resolve));
            throw new Error('poison');
          }
          if (items.length === 1 && items[0] === 'a:poison') throw new Error('poison');
        },
        { maxBatch: 2, maxWaitMs: 0, maxParallel: 2, isRetryable: retryable, conflictKeys: (item) => [item.split(':')[0]!] },
      );
      const results = await writer.submitAll(['a:poison', 'b:1', 'a:2', 'c:1']);
      expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(firstWriteOpen).toBe(1);
      // a:2 waits for the failed batch and its one-by-one retries, then goes in a batch of its own.
      const firstWithA2 = writes.findIndex((batch) => batch.includes('a:2'));
      const lastRetry = writes.findLastIndex((batch) => batch.length === 1 && (batch[0] === 'a:poison' || batch[0] === 'b:1'));
      expect(firstWithA2).toBeGreaterThan(lastRetry);
      expect(writes[1]).toEqual(['c:1']);
    });
  });
});
