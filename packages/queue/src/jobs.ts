/** The queue every push goes through (one per shard, see shards.ts). */
export const PUSH_QUEUE_NAME = 'pushes';

/**
 * One HTTP push as the ingest saw it. The body is kept as received (text when it is UTF-8, base64
 * otherwise), so the worker — and a replay — can parse it again with the same model.
 */
export interface PushJobData {
  deliveryId: string;
  /** Ingest route or replay source, e.g. `http:/voicecall/fee`. */
  source: string;
  receivedAt: string;
  contentType: string | null;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  /** Set when the ingest rejected the push: the worker only files it in `rejected_pushes`. */
  rejection: PushRejection | null;
  /**
   * The call's session id (a CDR push's first record), so every push of a call goes to the same
   * queue shard. Absent for rejected bodies and for jobs queued before shards existed.
   */
  routingKey?: string;
}

export interface PushRejection {
  code: string;
  message: string;
  bodyTruncated: boolean;
}

export type SinglePushName = 'status' | 'fee' | 'rejected';

/** One push with the kind it was taken as: what a batch job holds and what the ingest spools. */
export interface SinglePush {
  name: SinglePushName;
  data: PushJobData;
}

/**
 * Pushes the ingest took concurrently, queued as one job: one Redis write and one job lifecycle
 * (fetch, lock, complete) for the lot instead of one per push. Each push keeps its own delivery
 * id, so storing stays exactly-once per push; a push that fails for good is split off into a job
 * of its own, which retries and dead-letters alone.
 */
export interface PushBatchData {
  pushes: SinglePush[];
}

export type PushJobName = SinglePushName | 'batch';
export type QueueJobData = PushJobData | PushBatchData;

/** A job as `Queue.add`/`addBulk` take it. */
export interface PushJob {
  name: PushJobName;
  data: QueueJobData;
  opts?: { jobId: string };
}

/**
 * The one mapping from a push to a job of its own. It is keyed by the delivery id, so a push queued
 * twice (a spool re-sent after a crash, a batch member split off by the worker) is one job.
 */
export function pushJob(push: SinglePush): PushJob & { name: SinglePushName; opts: { jobId: string } } {
  return { name: push.name, data: push.data, opts: { jobId: push.data.deliveryId } };
}

/** Several pushes as one job; no job id, since each push keeps its own delivery id inside. */
export function batchJob(pushes: readonly SinglePush[]): PushJob {
  return { name: 'batch', data: { pushes: pushes.map(({ name, data }) => ({ name, data })) } };
}

export function isPushBatch(data: QueueJobData | LegacyPushJobData): data is PushBatchData {
  return 'pushes' in data;
}

/**
 * How jobs and spool entries written before "refused" became "rejected" look: the job name
 * `'refused'` and the field `refusal`. They outlive an upgrade in Redis and in spool files, so
 * they are read through `currentPush`, the one place that knows the old names.
 */
export type LegacyPushName = 'refused';
export type LegacyPushJobData = Omit<PushJobData, 'rejection'> & { refusal: PushRejection | null };

/** Why the ingest rejected the push, under the current field name or the old one. */
export function rejectionOf(data: PushJobData | LegacyPushJobData): PushRejection | null {
  return ('rejection' in data ? data.rejection : null) ?? ('refusal' in data ? data.refusal : null) ?? null;
}

/** A push under its current name and fields, whether it was written before the rename or after. */
export function currentPush(name: SinglePushName | LegacyPushName, data: PushJobData | LegacyPushJobData): SinglePush {
  const { refusal: _legacy, ...current } = data as PushJobData & Partial<LegacyPushJobData>;
  return { name: name === 'refused' ? 'rejected' : name, data: { ...current, rejection: rejectionOf(data) } };
}

/** The pushes a job carries, whatever its shape and age. */
export function pushesOf(name: PushJobName | LegacyPushName, data: QueueJobData | LegacyPushJobData): SinglePush[] {
  if (isPushBatch(data)) return data.pushes.map((push) => currentPush(push.name, push.data));
  if (name === 'batch') throw new Error('a batch job without pushes');
  return [currentPush(name, data)];
}
