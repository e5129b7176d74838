import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type express from 'express';
import type { PushQueue } from '@callpipe/queue';

export const queueUiModes = ['off', 'read-only', 'read-write'] as const;
export type QueueUiMode = (typeof queueUiModes)[number];

export const QUEUE_UI_PATH = '/queues';

/**
 * Bull Board on the worker's admin port (never the public one). Read-only unless enabled: retrying
 * or deleting jobs from a browser is an operator decision, so it must be switched on explicitly.
 */
export function mountQueueUi(app: express.Express, queues: readonly PushQueue[], mode: QueueUiMode): void {
  if (mode === 'off') return;
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_UI_PATH);
  createBullBoard({
    // Shards share the queue name; the board tells them apart by prefix.
    queues: queues.map(
      (queue) =>
        new BullMQAdapter(queue, { readOnlyMode: mode === 'read-only', ...(queues.length > 1 ? { prefix: `${queue.opts.prefix} ` } : {}) }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'callpipe queues' } },
  });
  app.use(QUEUE_UI_PATH, serverAdapter.getRouter() as express.Router);
}
