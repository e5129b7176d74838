import { timingSafeEqual, createHash } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Job } from 'bullmq';
import type express from 'express';
import { maskJobData, type PushQueue } from '@callpipe/queue';
import { maskPhoneNumbersIn } from '@callpipe/runtime';

export const queueUiModes = ['off', 'read-only', 'read-write'] as const;
export type QueueUiMode = (typeof queueUiModes)[number];

export const QUEUE_UI_PATH = '/queues';

export interface QueueUiOptions {
  mode: QueueUiMode;
  /** Empty: no authentication (the env schema allows that only read-only and masked, or on loopback). */
  token: string;
  /** Show job data as queued, numbers in the clear. */
  unmasked: boolean;
}

/**
 * Bull Board on the worker's admin port (never the public one). Read-only unless enabled: retrying
 * or deleting jobs from a browser is an operator decision, so it must be switched on explicitly.
 * Queued jobs are raw pushes with phone numbers in the clear, so job data, failure reasons and
 * stack traces are masked unless asked otherwise, and a token guards everything under /queues.
 */
export function mountQueueUi(app: express.Express, queues: readonly PushQueue[], options: QueueUiOptions): void {
  if (options.mode === 'off') return;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_UI_PATH);
  createBullBoard({
    // Shards share the queue name; the board tells them apart by prefix.
    queues: queues.map((queue) => {
      const adapterOptions = {
        readOnlyMode: options.mode === 'read-only',
        ...(queues.length > 1 ? { prefix: `${queue.opts.prefix} ` } : {}),
      };
      return options.unmasked ? new BullMQAdapter(queue, adapterOptions) : new MaskedBullMQAdapter(queue, adapterOptions);
    }),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'callpipe queues' } },
  });
  if (options.token !== '') app.use(QUEUE_UI_PATH, requireToken(options.token));
  app.use(QUEUE_UI_PATH, serverAdapter.getRouter() as express.Router);
}

/**
 * Numbers masked wherever the board shows a job: its data (Bull Board's `data` formatter), its
 * failure reason and stack trace (which the board shows unformatted, so the jobs are wrapped).
 * Writing job data back from the board (edit, duplicate) would store the masked numbers in the
 * queue, so those are refused here; the CLI's `dead-letters retry` re-queues the job itself.
 */
class MaskedBullMQAdapter extends BullMQAdapter {
  constructor(queue: PushQueue, options: ConstructorParameters<typeof BullMQAdapter>[1]) {
    super(queue, options);
    this.setFormatter('data', (data: unknown) => maskJobData(data));
  }

  override async getJob(id: string): Promise<Job | undefined> {
    const job = await super.getJob(id);
    return job ? masked(job) : job;
  }

  override async getJobs(...args: Parameters<BullMQAdapter['getJobs']>): Promise<Job[]> {
    return (await super.getJobs(...args)).map(masked);
  }

  override addJob(): Promise<Job> {
    return Promise.reject(new Error(MASKED_WRITE_REFUSED));
  }
}

const MASKED_WRITE_REFUSED =
  'job data is shown masked, so it cannot be written back from here; use `callpipe dead-letters retry`, or WORKER_QUEUE_UI_UNMASKED=true';

function masked(job: Job): Job {
  const view = Object.create(job) as Job;
  const toJSON = job.toJSON.bind(job);
  Object.defineProperties(view, {
    toJSON: {
      value: () => {
        const json = toJSON();
        return {
          ...json,
          failedReason: maskPhoneNumbersIn(json.failedReason ?? ''),
          stacktrace: (json.stacktrace ?? []).map(maskPhoneNumbersIn),
        };
      },
    },
    updateData: { value: () => Promise.reject(new Error(MASKED_WRITE_REFUSED)) },
  });
  return view;
}

/**
 * `Authorization: Bearer <token>` for scripts, or basic auth with the token as password (any user
 * name) so that a browser asks for it. Compared in constant time, over digests of equal length.
 */
export function requireToken(token: string): express.RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const given = presentedToken(req.headers.authorization);
    if (given !== null && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Basic realm="callpipe queues", charset="UTF-8"')
      .json({
        error: { code: 'unauthorized', message: 'the queue UI needs WORKER_QUEUE_UI_TOKEN, as a bearer token or a basic-auth password' },
      });
  };
}

function presentedToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const [scheme, value] = header.split(/\s+/, 2);
  if (!value) return null;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

const digest = (text: string) => createHash('sha256').update(text).digest();
