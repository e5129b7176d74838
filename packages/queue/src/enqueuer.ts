import { coerceError } from '@callpipe/runtime';
import { batchJob, pushJob, type PushJob, type PushJobData, type SinglePush, type SinglePushName } from './jobs.ts';
import type { PushQueue } from './push-queue.ts';
import { confirmReplicated, type ReplicationWait } from './replication.ts';
import { shardOf } from './shards.ts';

export interface EnqueuerOptions {
  /** Most pushes per Redis round trip (and per job). */
  maxBatch: number;
  /** A request waits at most this long for Redis before the ingest answers 503. */
  timeoutMs: number;
  onBatch?: (size: number) => void;
  /** Redis replicas that must confirm a write before its pushes count as taken (see waitForReplicas). */
  replication?: ReplicationWait;
}

interface Pending extends SinglePush {
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Coalesces the pushes of concurrent requests: those taken in the same event-loop turn go to Redis
 * together, as one job per queue shard, instead of one round trip and one job each. A request still
 * gets its 200 only after its own push is in Redis: every caller awaits the write that holds it.
 * A push that arrives alone is queued as a job of its own, keyed by its delivery id.
 * `sendEach` is the same write for pushes that were already acked (the ingest's spool).
 */
export class Enqueuer {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly queues: readonly PushQueue[];
  private readonly options: EnqueuerOptions;

  constructor(queues: readonly PushQueue[], options: EnqueuerOptions) {
    if (queues.length === 0) throw new Error('the enqueuer needs at least one queue');
    this.queues = queues;
    this.options = options;
  }

  enqueue(name: SinglePushName, data: PushJobData): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis did not take the push within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
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

  /**
   * Queues already-acked pushes as one job each (keyed by delivery id, so sending them again after
   * a crash adds nothing), by shard, and resolves once Redis — and the required replicas — have
   * them all. No timeout: nobody is waiting for an answer.
   */
  async sendEach(pushes: readonly SinglePush[]): Promise<void> {
    const byShard = Map.groupBy(pushes, (push) => shardOf(push.data.routingKey, this.queues.length));
    await Promise.all([...byShard].map(([shard, group]) => this.write(this.queues[shard]!, group.map(pushJob))));
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
    for (const [shard, group] of Map.groupBy(batch, (item) => shardOf(item.data.routingKey, this.queues.length))) {
      const [only] = group;
      const job = group.length === 1 && only ? pushJob(only) : batchJob(group);
      this.write(this.queues[shard]!, [job]).then(
        () => group.forEach((item) => item.resolve()),
        (error: unknown) => group.forEach((item) => item.reject(coerceError(error))),
      );
    }
  }

  /** The one write path: the jobs, then the replicas' confirmation when one is required. */
  private async write(queue: PushQueue, jobs: PushJob[]): Promise<void> {
    const [only] = jobs;
    if (jobs.length === 1 && only) await queue.add(only.name, only.data, only.opts);
    else await queue.addBulk(jobs);
    await confirmReplicated(queue, this.options.replication);
  }
}
