import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix } from '@callpipe/testkit';
import { createIngestService, parseIngestEnv, type IngestService } from '@callpipe/ingest';

const { redisUrl } = testContext();
let service: IngestService;
let port: number;

beforeAll(async () => {
  service = createIngestService(
    parseIngestEnv({
      REDIS_URL: redisUrl,
      CALLPIPE_QUEUE_PREFIX: uniqueQueuePrefix('slow'),
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: '0',
      INGEST_ADMIN_HOST: '127.0.0.1',
      INGEST_ADMIN_PORT: '0',
      INGEST_HEADERS_TIMEOUT_MS: '1000',
      INGEST_REQUEST_TIMEOUT_MS: '2000',
      INGEST_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'callpipe-slow-spool-')),
    }),
    createLogger({ level: 'silent' }),
  );
  ({ port } = await service.start());
});

afterAll(async () => {
  await service?.stop();
});

/** Writes raw bytes and collects whatever the server answers until it closes the connection. */
function rawExchange(chunks: string[]): Promise<{ answer: string; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (data) => (answer += data.toString()));
    socket.on('close', () => resolve({ answer, elapsedMs: Date.now() - started }));
    socket.on('error', reject);
    socket.setTimeout(15_000, () => socket.destroy(new Error('server never closed the slow connection')));
    for (const chunk of chunks) socket.write(chunk);
  });
}

describe('slow clients', () => {
  it('when the headers never finish, then the connection is answered 408 and closed after the header timeout', async () => {
    const { answer, elapsedMs } = await rawExchange(['POST /voicecall/events HTTP/1.1\r\nHost: x\r\nContent-Ty']);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('when the body never finishes, then the connection is answered 408 and closed after the request timeout', async () => {
    const { answer, elapsedMs } = await rawExchange([
      'POST /voicecall/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"eventType":',
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('when a slow client is cut off, then normal pushes are still served', async () => {
    const stalled = rawExchange(['POST /voicecall/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{']);
    const response = await fetch(`http://127.0.0.1:${port}/voicecall/events`, {
      method: 'POST',
      body: JSON.stringify({ eventType: 'callout', statusInfo: { sessionId: 'slow-neighbour', timestamp: '2024-06-11 02:30:15' } }),
    });
    expect(response.status).toBe(200);
    await stalled;
  });
});
