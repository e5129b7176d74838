import { describe, expect, it } from 'vitest';
import { generateCalls, type Push } from '@callpipe/fixtures';
import type { PushJobData } from '@callpipe/queue';
import { waitFor } from '@callpipe/testkit';
import { pushJob, workerFixture } from './support.ts';
import { sql } from 'kysely';

const fixture = workerFixture('hash', { CALLPIPE_NUMBER_HASH_KEY: 'test-number-hash-key-0001' });
const job = (body: string, rejection: PushJobData['rejection'] = null) => pushJob(body, { rejection });

describe('numbers stored as keyed hashes', () => {
  it('when CALLPIPE_NUMBER_HASH_KEY is set, then no table holds a phone number in clear, raw payloads and rejections included', async () => {
    const calls = generateCalls(55, 10);
    const pushes: Push[] = calls.flatMap((call) => [
      ...call.statusPushes,
      { eventType: 'fee' as const, feeLst: [call.cdr, { sessionId: 'bad', calleeNum: '+8613899990000', callEndTime: 'never' }] },
    ]);
    const jobs = [
      ...pushes.map((push) => job(JSON.stringify(push))),
      job('not json +8613812345678', { code: 'invalid_json', message: 'bad', bodyTruncated: false }),
    ];
    await fixture.queue.addBulk(jobs);
    await waitFor(
      async () =>
        Number((await sql<{ n: string }>`SELECT count(*) AS n FROM push_deliveries`.execute(fixture.database.db)).rows[0]!.n) ===
        pushes.length,
      { what: 'stored' },
    );
    await waitFor(
      async () =>
        Number(
          (await sql<{ n: string }>`SELECT count(*) AS n FROM rejected_pushes WHERE stage = 'ingest'`.execute(fixture.database.db)).rows[0]!
            .n,
        ) === 1,
      { what: 'rejection kept' },
    );

    const dump = await sql<{ text: string }>`
      SELECT (SELECT json_agg(c)::text FROM calls c) || (SELECT json_agg(e)::text FROM call_events e) || (SELECT json_agg(d)::text FROM cdrs d)
        || (SELECT json_agg(json_build_object('record', r.record, 'body', convert_from(r.body, 'UTF8')))::text FROM rejected_pushes r) AS text`.execute(
      fixture.database.db,
    );
    const text = dump.rows[0]!.text;
    expect(text).not.toMatch(/\+86\d{7,}/);
    expect(text).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/);
    const call = await fixture.database.db
      .selectFrom('calls')
      .select(['called_number', 'caller_number'])
      .where('session_id', '=', calls[0]!.sessionId)
      .executeTakeFirstOrThrow();
    expect(call.called_number).toMatch(/^h:[0-9a-f]{24}$/);
    // The same number hashes the same everywhere, so the tables still join.
    const cdr = await fixture.database.db
      .selectFrom('cdrs')
      .select('callee_num')
      .where('session_id', '=', calls[0]!.sessionId)
      .executeTakeFirstOrThrow();
    expect(cdr.callee_num).toBe(call.called_number);
  });
});
