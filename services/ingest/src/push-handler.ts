import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { attributePush, decodeBody, type Rejection } from '@callpipe/events';
import type { IngestMetrics } from '@callpipe/metrics';
import type { Enqueuer, PushJobData, SinglePushName } from '@callpipe/queue';
import { coerceError, type Logger } from '@callpipe/runtime';
import { readBody } from './read-body.ts';
import type { Spool } from './spool/spool.ts';
import type { GateVerdict } from './security/signature-gate.ts';

export const JSON_UTF8 = 'application/json;charset=UTF-8';
/** The platform decides a CDR push's success from `resultcode` when present. */
const SUCCESS_BODY = JSON.stringify({ resultcode: '0', resultdesc: 'Success' });

export interface PushHandlerDeps {
  enqueuer: Enqueuer;
  /** Where pushes go when Redis cannot take them; a push on disk is acked like one in Redis. */
  spool: Spool;
  /** Source address allowlist and signature checks, run once the body is read so it can be kept. */
  gates: Array<(request: IncomingMessage) => GateVerdict | Promise<GateVerdict>>;
  metrics: IngestMetrics;
  logger: Logger;
  bodyLimitBytes: number;
}

/**
 * Answers 200 only once the push is in Redis; 400 (413 for size) with a stable code for bad input,
 * after filing the rejected body for the worker to keep in `rejected_pushes`; 503 when Redis did not
 * take the push in time, so the platform (for CDRs) retries. No Postgres on this path.
 */
export function createPushHandler(deps: PushHandlerDeps) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const route = pushRoute(request.url ?? '') ?? 'events';
    // Metric and source labels never carry the path secret.
    const meta = {
      deliveryId: randomUUID(),
      source: `http:/voicecall/${route}`,
      receivedAt: new Date().toISOString(),
      contentType: request.headers['content-type'] ?? null,
    };
    const finish = (
      status: number,
      outcome: 'accepted' | 'rejected' | 'unavailable',
      code: string,
      body: string,
      closeConnection = false,
    ) => {
      // end() rather than send(): Express would rewrite the documented `application/json;charset=UTF-8`.
      response.statusCode = status;
      response.setHeader('Content-Type', JSON_UTF8);
      if (closeConnection) response.setHeader('Connection', 'close');
      response.end(body);
      deps.metrics.requests.inc({ route, outcome, code });
      deps.metrics.ackDuration.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    };

    let read;
    try {
      read = await readBody(request, deps.bodyLimitBytes);
    } catch (error) {
      deps.logger.debug('request body could not be read', { error: coerceError(error).message });
      return;
    }
    if (read.kind === 'too_large') {
      const rejection: Rejection = {
        code: 'body_too_large',
        message: `the body exceeds ${deps.bodyLimitBytes} bytes${read.declaredLength === null ? '' : ` (Content-Length ${read.declaredLength})`}`,
      };
      deps.metrics.receivedBytes.inc(read.prefix.length);
      await fileRejection(deps, meta, read.prefix, rejection, true);
      finish(413, 'rejected', rejection.code, errorBody(rejection), true);
      response.once('finish', () => request.socket.destroy());
      return;
    }
    deps.metrics.receivedBytes.inc(read.bytes.length);
    for (const gate of deps.gates) {
      const verdict = await gate(request);
      if (!verdict.ok) {
        await fileRejection(deps, meta, read.bytes, verdict, false);
        finish(verdict.status, 'rejected', verdict.code, errorBody(verdict));
        return;
      }
    }
    const decoded = decodeBody(read.bytes);
    const verdict = decoded.ok ? attributePush(decoded) : decoded;
    if (!verdict.ok) {
      await fileRejection(deps, meta, read.bytes, verdict.rejection, false);
      finish(400, 'rejected', verdict.rejection.code, errorBody(verdict.rejection));
      return;
    }
    const job: PushJobData = {
      ...meta,
      // Bytes that are not UTF-8 travel as they came, so the worker keeps the exact original.
      ...(decoded.ok && !decoded.lossy
        ? { body: decoded.text, bodyEncoding: 'utf8' as const }
        : { body: read.bytes.toString('base64'), bodyEncoding: 'base64' as const }),
      rejection: null,
      routingKey: verdict.routingKey,
    };
    const stored = await store(deps, verdict.kind, job);
    if (stored === 'lost') {
      finish(
        503,
        'unavailable',
        'queue_unavailable',
        errorBody({ code: 'queue_unavailable', message: 'the push could not be stored; retry later' }),
      );
      return;
    }
    finish(200, 'accepted', stored === 'spooled' ? 'spooled' : 'ok', SUCCESS_BODY);
  };
}

async function fileRejection(
  deps: PushHandlerDeps,
  meta: Pick<PushJobData, 'deliveryId' | 'source' | 'receivedAt' | 'contentType'>,
  bytes: Buffer,
  rejection: { code: string; message: string },
  bodyTruncated: boolean,
): Promise<void> {
  const text = decodeBody(bytes);
  const job: PushJobData = {
    ...meta,
    body: text.ok && !text.lossy ? text.text : bytes.toString('base64'),
    bodyEncoding: text.ok && !text.lossy ? 'utf8' : 'base64',
    rejection: { code: rejection.code, message: rejection.message, bodyTruncated },
  };
  // The sender gets its 400 either way: the answer is about the body, not about our storage.
  if ((await store(deps, 'rejected', job)) === 'lost') {
    deps.logger.error('rejected push could not be kept', { code: rejection.code, deliveryId: meta.deliveryId });
  }
}

/** Redis first; the disk spool when Redis cannot take the push in time; `lost` when neither can. */
async function store(deps: PushHandlerDeps, name: SinglePushName, job: PushJobData): Promise<'queued' | 'spooled' | 'lost'> {
  try {
    await deps.enqueuer.enqueue(name, job);
    return 'queued';
  } catch (queueError) {
    try {
      await deps.spool.append({ name, data: job });
      return 'spooled';
    } catch (spoolError) {
      deps.logger.error('push could be neither queued nor spooled', {
        deliveryId: job.deliveryId,
        queueError: coerceError(queueError).message,
        spoolError: coerceError(spoolError).message,
      });
      return 'lost';
    }
  }
}

export function errorBody(error: { code: string; message: string }): string {
  return JSON.stringify({ error: { code: error.code, message: error.message } });
}

/** `events`, `status` or `fee` from a push URL (query strings ignored), or null for anything else. */
export function pushRoute(url: string): 'events' | 'status' | 'fee' | null {
  const path = url.split('?', 1)[0] ?? '';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last === 'events' || last === 'status' || last === 'fee' ? last : null;
}
