export interface BatchWriterOptions<T> {
  maxBatch: number;
  maxWaitMs: number;
  maxParallel: number;
  /** Whether a failure can succeed later as it is (an outage); such a batch is not split. */
  isRetryable: (error: unknown) => boolean;
  /**
   * What an item writes that another transaction may write too (a call's session id). An item is
   * held back while a batch in flight has one of its keys, so parallel batches never wait for each
   * other's row locks. Items without keys go in any batch.
   */
  conflictKeys?: (item: T) => readonly string[];
}

interface Pending<T> {
  item: T;
  keys: readonly string[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Groups items submitted by concurrent jobs into one write (one transaction), and settles each
 * submitter with its batch's outcome. When a batch fails for a reason that will not go away, it is
 * written again one item at a time, so a poison item fails alone and its neighbours are stored.
 *
 * Batches in flight at once share no conflict key: two transactions touching one call would take
 * turns on its row lock (the second waits for the first to commit), and the parallel batches would
 * run one after the other. An item held back keeps its place at the head of the queue.
 */
export class BatchWriter<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  /** Conflict keys of the batches being written: no two of them share one. */
  private readonly keysInFlight = new Set<string>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly write: (items: T[]) => Promise<void>;
  private readonly options: BatchWriterOptions<T>;

  constructor(write: (items: T[]) => Promise<void>, options: BatchWriterOptions<T>) {
    this.write = write;
    this.options = options;
  }

  submit(item: T): Promise<void> {
    const settled = this.add(item);
    this.schedule();
    return settled;
  }

  /** Submits several items at once; each settles on its own (they may share or span batches). */
  submitAll(items: readonly T[]): Promise<Array<PromiseSettledResult<void>>> {
    const settled = items.map((item) => this.add(item));
    this.schedule();
    return Promise.allSettled(settled);
  }

  private add(item: T): Promise<void> {
    const keys = this.options.conflictKeys?.(item) ?? [];
    return new Promise((resolve, reject) => this.pending.push({ item, keys, resolve, reject }));
  }

  /** Resolves once nothing is pending or being written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight > 0) {
      if (this.pending.length > 0 && this.inFlight < this.options.maxParallel) this.flush();
      // With nothing in flight no key is held, so the flush started a batch; a batch's end wakes this.
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private schedule(): void {
    while (this.inFlight < this.options.maxParallel && this.pending.length > 0) {
      if (this.pending.length < this.options.maxBatch && this.options.maxWaitMs > 0) {
        this.timer ??= setTimeout(() => {
          this.flush();
          this.schedule();
        }, this.options.maxWaitMs);
        return;
      }
      // Every pending item conflicts with a batch in flight: its completion schedules again.
      if (!this.flush()) return;
    }
  }

  /** Starts a batch of the pending items that conflict with no batch in flight; false if there were none. */
  private flush(): boolean {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.takeBatch();
    if (batch.length === 0) return false;
    this.inFlight += 1;
    const keys = new Set(batch.flatMap((entry) => entry.keys));
    for (const key of keys) this.keysInFlight.add(key);
    void this.writeBatch(batch).finally(() => {
      this.inFlight -= 1;
      for (const key of keys) this.keysInFlight.delete(key);
      if (this.pending.length > 0) this.schedule();
      for (const wake of this.idleWaiters.splice(0)) wake();
    });
    return true;
  }

  private takeBatch(): Pending<T>[] {
    if (this.keysInFlight.size === 0) return this.pending.splice(0, this.options.maxBatch);
    const batch: Pending<T>[] = [];
    const held: Pending<T>[] = [];
    let next = 0;
    for (; next < this.pending.length && batch.length < this.options.maxBatch; next += 1) {
      const entry = this.pending[next]!;
      if (entry.keys.some((key) => this.keysInFlight.has(key))) held.push(entry);
      else batch.push(entry);
    }
    this.pending = [...held, ...this.pending.slice(next)];
    return batch;
  }

  private async writeBatch(batch: Pending<T>[]): Promise<void> {
    try {
      await this.write(batch.map((entry) => entry.item));
      batch.forEach((entry) => entry.resolve());
      return;
    } catch (error) {
      if (batch.length === 1 || this.options.isRetryable(error)) {
        batch.forEach((entry) => entry.reject(error));
        return;
      }
    }
    for (const entry of batch) {
      try {
        await this.write([entry.item]);
        entry.resolve();
      } catch (error) {
        entry.reject(error);
      }
    }
  }
}
