import type { IngestMetrics } from '@callpipe/metrics';
import type { Enqueuer } from '@callpipe/queue';
import { coerceError, type Logger } from '@callpipe/runtime';
import type { Spool, SpoolEvents } from './spool/spool.ts';

export interface SpoolDrainer {
  /** Offers the spool to Redis every `intervalMs`. */
  start(): void;
  /** One drain now (or the one already running); never rejects, failures are retried later. */
  drain(): Promise<void>;
  /** Stops the timer and makes one last attempt bounded by `boundMs`; the rest waits on disk. */
  stop(boundMs: number): Promise<void>;
}

/** Moves spooled pushes into the queue, through the same write as the request path, when Redis is back. */
export function createSpoolDrainer(deps: {
  spool: Spool;
  enqueuer: Enqueuer;
  redisReady: () => boolean;
  metrics: IngestMetrics;
  logger: Logger;
  intervalMs: number;
}): SpoolDrainer {
  const { spool, enqueuer, metrics, logger } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const send = async (entries: Parameters<Enqueuer['sendEach']>[0]) => {
    // A segment is deleted once its pushes are in Redis: with replicas required, on them too.
    await enqueuer.sendEach(entries);
    metrics.spoolDrained.inc(entries.length);
  };
  const drain = (): Promise<void> => {
    if (running || spool.isEmpty() || !deps.redisReady()) return running ?? Promise.resolve();
    running = spool
      .drain(send)
      .then((sent) => {
        if (sent > 0) logger.info('spooled pushes moved to the queue', { sent, remainingBytes: spool.bytes });
      })
      .catch((error: unknown) => logger.warn('spool drain interrupted, will retry', { error: coerceError(error).message }))
      .finally(() => (running = null));
    return running;
  };

  return {
    start() {
      timer = setInterval(() => void drain(), deps.intervalMs);
    },
    drain,
    async stop(boundMs) {
      if (timer) clearInterval(timer);
      timer = null;
      await Promise.race([drain(), new Promise((resolve) => setTimeout(resolve, boundMs).unref())]);
    },
  };
}

/** Damage found while draining: counted, and logged with the raw bytes masked by the logger. */
export function spoolEvents(metrics: IngestMetrics, logger: Logger): SpoolEvents {
  return {
    quarantined(record, bytes) {
      metrics.spoolQuarantined.inc();
      logger.warn('damaged spool record moved to the quarantine; the rest of its segment is drained', {
        ...record,
        // Enough to recognise the push; the full bytes are in the quarantine file.
        preview: bytes.toString('utf8', 0, 300),
      });
    },
    tornTail(tail) {
      metrics.spoolTornTail.inc();
      logger.info('spool segment ended in a record cut short by a crash (never acked); skipped', tail);
    },
  };
}
