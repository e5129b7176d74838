import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCalls, type Push } from '@callpipe/fixtures';
import { createPushQueue, createRedisConnection, queuePrefix, type PushJobData } from '@callpipe/queue';
import { createLogger } from '@callpipe/runtime';
import { testContext, uniqueQueuePrefix, waitFor, type TestDatabase } from '@callpipe/testkit';
import { createWorkerService, parseWorkerEnv, type WorkerService } from '@callpipe/worker';
import { sql } from 'kysely';

const context = testContext();
const prefix = uniqueQueuePrefix('hash');
const redis = createRedisConnection(context.redisUrl, 'worker');
const queue = createPushQueue(redis, queuePrefix(prefix));
let database: TestDatabase;
let worker: WorkerService;

const job = (body: string, refusal: PushJobData['refusal'] = null) => {
  const deliveryId = randomUUID();
  const data: PushJobData = { deliveryId, source: 'test', receivedAt: new Date().toISOString(), contentType: null, body, bodyEncoding: 'utf8', refusal };
  return { name: refusal ? ('refused' as const) : ('status' as const), data, opts: { jobId: deliveryId } };
};

beforeAll(async () => {
  database = await context.createDatabase();
  worker = createWorkerService(
    parseWorkerEnv({ REDIS_URL: context.redisUrl, DATABASE_URL: database.url, CALLPIPE_QUEUE_PREFIX: prefix, WORKER_ADMIN_PORT: '0', WORKER_ADMIN_HOST: '127.0.0.1', CALLPIPE_NUMBER_HASH_KEY: 'test-number-hash-key-0001' }),
    createLogger({ level: 'silent' }),
  );
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await queue.obliterate({ force: true });
  await queue.close();
  await redis.quit();
  await database?.drop();
});

describe('numbers stored as keyed hashes', () => {
  it('when CALLPIPE_NUMBER_HASH_KEY is set, then no table holds a phone number in clear, raw payloads and refusals included', async () => {
    const calls = generateCalls(55, 10);
    const pushes: Push[] = calls.flatMap((call) => [...call.statusPushes, { eventType: 'fee' as const, feeLst: [call.cdr, { sessionId: 'bad', calleeNum: '+8613899990000', callEndTime: 'never' }] }]);
    const jobs = [...pushes.map((push) => job(JSON.stringify(push))), job('not json +8613812345678', { code: 'invalid_json', message: 'bad', bodyTruncated: false })];
    await queue.addBulk(jobs);
    await waitFor(async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM push_deliveries`.execute(database.db)).rows[0]!.n) === pushes.length, { what: 'stored' });
    await waitFor(async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM rejected_pushes WHERE stage = 'ingest'`.execute(database.db)).rows[0]!.n) === 1, { what: 'refusal kept' });

    const dump = await sql<{ text: string }>`
      SELECT (SELECT json_agg(c)::text FROM calls c) || (SELECT json_agg(e)::text FROM call_events e) || (SELECT json_agg(d)::text FROM cdrs d)
        || (SELECT json_agg(json_build_object('record', r.record, 'body', convert_from(r.body, 'UTF8')))::text FROM rejected_pushes r) AS text`.execute(database.db);
    const text = dump.rows[0]!.text;
    expect(text).not.toMatch(/\+86\d{7,}/);
    expect(text).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/);
    const call = await database.db.selectFrom('calls').select(['called_number', 'caller_number']).where('session_id', '=', calls[0]!.sessionId).executeTakeFirstOrThrow();
    expect(call.called_number).toMatch(/^h:[0-9a-f]{24}$/);
    // The same number hashes the same everywhere, so the tables still join.
    const cdr = await database.db.selectFrom('cdrs').select('callee_num').where('session_id', '=', calls[0]!.sessionId).executeTakeFirstOrThrow();
    expect(cdr.callee_num).toBe(call.called_number);
  });
});
