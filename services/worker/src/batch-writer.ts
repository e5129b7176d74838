export interface BatchWriterOptions {
  maxBatch: number;
  maxWaitMs: number;
  maxParallel: number;
  /** Whether a failure can succeed later as it is (an outage); such a batch is not split. */
  isRetryable: (error: unknown) => boolean;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Groups items submitted by concurrent jobs into one write (one transaction), and settles each
 * submitter with its batch's outcome. When a batch fails for a reason that will not go away, it is
 * written again one item at a time, so a poison item fails alone and its neighbours are stored.
 */
export class BatchWriter<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly write: (items: T[]) => Promise<void>;
  private readonly options: BatchWriterOptions;

  constructor(write: (items: T[]) => Promise<void>, options: BatchWriterOptions) {
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
    return new Promise((resolve, reject) => this.pending.push({ item, resolve, reject }));
  }

  /** Resolves once nothing is pending or being written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight > 0) {
      if (this.pending.length > 0 && this.inFlight < this.options.maxParallel) this.flush();
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
      this.flush();
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight += 1;
    void this.writeBatch(batch).finally(() => {
      this.inFlight -= 1;
      if (this.pending.length > 0) this.schedule();
      for (const wake of this.idleWaiters.splice(0)) wake();
    });
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
