import type { PushJobData, PushJobName } from './jobs.ts';
import type { PushQueue } from './push-queue.ts';

export interface EnqueuerOptions {
  /** Most jobs per Redis round trip. */
  maxBatch: number;
  /** A request waits at most this long for Redis before the ingest answers 503. */
  timeoutMs: number;
  onBatch?: (size: number) => void;
}

interface Pending {
  name: PushJobName;
  data: PushJobData;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Coalesces the pushes of concurrent requests into one `addBulk` (one Redis round trip, one
 * MULTI) instead of one round trip each. A request still gets its 200 only after its own job is
 * in Redis: every caller awaits the batch that holds its job.
 */
export class Enqueuer {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly queue: PushQueue;
  private readonly options: EnqueuerOptions;

  constructor(queue: PushQueue, options: EnqueuerOptions) {
    this.queue = queue;
    this.options = options;
  }

  enqueue(name: PushJobName, data: PushJobData): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis did not take the push within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      this.pending.push({
        name,
        data,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        // Requests parsed in the same event-loop turn share a round trip.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    this.options.onBatch?.(batch.length);
    this.queue
      .addBulk(batch.map(({ name, data }) => ({ name, data, opts: { jobId: data.deliveryId } })))
      .then(
        () => batch.forEach((item) => item.resolve()),
        (error: unknown) => batch.forEach((item) => item.reject(error instanceof Error ? error : new Error(String(error)))),
      );
  }
}
