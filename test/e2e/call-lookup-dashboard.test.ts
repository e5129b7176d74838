import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedDelivery, storeDeliveries, type AcceptedDelivery } from '@callpipe/db';
import { parsePush } from '@callpipe/events';
import { demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { REPO_ROOT } from '../support/process.ts';
import { expandSqlMacros } from '../support/promql.ts';

// Every panel of the Call lookup board, run as Grafana would with `${session}` filled in, on calls
// this test stores: the rows must be those of the call looked up, and only those.

const board = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/grafana/dashboards/call-lookup.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ rawSql: string }> }>;
};
const now = Date.now();
const from = new Date(now - 7 * 86_400_000);
const to = new Date(now);
const options = { businessByAppKey: demoBusinessByAppKey };
const [call, other] = generateCalls(77, 2, { startAt: new Date(now - 3 * 3_600_000) });
const cdrReceivedAt = new Date(now - 3_600_000);
/** A CDR push with the call's record and a record without a sessionId (refused alone), sent twice. */
const cdrPush: Push = { eventType: 'fee', feeLst: [call!.cdr, { ...call!.cdr, sessionId: undefined }] };

function delivery(push: Push, receivedAt: Date): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: receivedAt.toISOString() }, verdict);
}
const timeOf = (push: { statusInfo: Record<string, unknown> }) => new Date(`${String(push.statusInfo['timestamp']).replace(' ', 'T')}Z`);

let database: TestDatabase;
beforeAll(async () => {
  database = await testContext().createDatabase();
  const deliveries: AcceptedDelivery[] = [];
  for (const generated of [call!, other!])
    for (const push of generated.statusPushes) deliveries.push(delivery(push, new Date(timeOf(push).getTime() + 1_000)));
  // One status event with a timestamp the model cannot read: stored with an anomaly.
  const first = call!.statusPushes[0]!;
  deliveries.push(
    delivery({ ...first, eventType: 'alerting', statusInfo: { ...first.statusInfo, timestamp: 'soon' } }, new Date(now - 2 * 3_600_000)),
  );
  deliveries.push(delivery(cdrPush, cdrReceivedAt), delivery(cdrPush, new Date(cdrReceivedAt.getTime() + 600_000)));
  await storeDeliveries(database.db, deliveries);
  // The call's recording, as a fetcher leaves it once stored.
  await sql`INSERT INTO recordings (session_id, object_name, status, attempts, bytes, sha256, stored_location, first_seen_at, stored_at, expires_at)
    VALUES (${call!.sessionId}, 'lookup.wav', 'stored', 1, 4096, ${'ab'.repeat(32)}, 'file:///srv/recordings/lookup.wav',
            ${cdrReceivedAt.toISOString()}, now(), ${new Date(cdrReceivedAt.getTime() + 7 * 86_400_000).toISOString()})
    ON CONFLICT (session_id) DO UPDATE SET status = 'stored', attempts = 1, bytes = 4096, sha256 = ${'ab'.repeat(32)},
      stored_location = 'file:///srv/recordings/lookup.wav', stored_at = now()`.execute(database.db);
});
afterAll(async () => {
  await database?.drop();
});

/** Grafana's `:sqlstring` format: a quoted literal with quotes doubled. */
const sqlstring = (value: string) => `'${value.replaceAll("'", "''")}'`;
async function panel(title: string, session: string): Promise<Array<Record<string, unknown>>> {
  const found = board.panels.find((candidate) => candidate.title === title);
  if (!found) throw new Error(`the Call lookup board has no panel ${title}`);
  const query = expandSqlMacros(found.targets[0]!.rawSql.replaceAll('${session:sqlstring}', sqlstring(session)), from, to);
  return (await sql.raw<Record<string, unknown>>(query).execute(database.db)).rows;
}

describe('Call lookup board on a known call', () => {
  it('has the panels of the lookup, each one SQL query on the datasource variable', () => {
    expect(board.panels.map((candidate) => candidate.title)).toEqual([
      'Call',
      'Events in time order',
      'CDR',
      'Deliveries and receive times',
      'Anomalies',
      'Refusals',
      'Recording',
    ]);
  });

  it('Call: the call of the session id, and by its caller number the same call', async () => {
    const rows = await panel('Call', call!.sessionId);
    expect(rows.map((row) => row['session_id'])).toEqual([call!.sessionId]);
    expect(rows[0]!['has_cdr']).toBe(true);
    const byNumber = await panel('Call', String(rows[0]!['caller_number']));
    expect(byNumber.map((row) => row['session_id'])).toContain(call!.sessionId);
    expect(byNumber.map((row) => row['session_id'])).not.toContain(other!.sessionId);
  });

  it('Events in time order: every status event of the call, ordered by when it happened', async () => {
    const rows = await panel('Events in time order', call!.sessionId);
    expect(rows.length).toBe(
      new Set(call!.statusPushes.map((push) => `${push.eventType}|${String(push.statusInfo['timestamp'])}`)).size + 1,
    );
    expect(rows.every((row) => row['session_id'] === call!.sessionId)).toBe(true);
    const times = rows.flatMap((row) => (row['event_at'] === null ? [] : [(row['event_at'] as Date).getTime()]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(rows.at(-1)!['event_at']).toBeNull();
  });

  it('CDR: one row, delivered twice', async () => {
    const rows = await panel('CDR', call!.sessionId);
    expect(rows).toHaveLength(1);
    expect(rows[0]!['deliveries']).toBe(2);
  });

  it('Deliveries: first and last receipt of every event and of the CDR', async () => {
    const rows = await panel('Deliveries and receive times', call!.sessionId);
    const cdr = rows.find((row) => row['item'] === 'CDR')!;
    expect((cdr['first_received_at'] as Date).toISOString()).toBe(cdrReceivedAt.toISOString());
    expect((cdr['last_received_at'] as Date).getTime()).toBe(cdrReceivedAt.getTime() + 600_000);
    expect(rows.filter((row) => String(row['item']).startsWith('event ')).length).toBe(
      (await panel('Events in time order', call!.sessionId)).length,
    );
  });

  it('Anomalies: the unreadable timestamp, on its event', async () => {
    const rows = await panel('Anomalies', call!.sessionId);
    expect(rows).toEqual([expect.objectContaining({ session_id: call!.sessionId, item: 'event alerting', field: 'timestamp' })]);
  });

  it('Refusals: the record refused from the same CDR push, once per delivery', async () => {
    const rows = await panel('Refusals', call!.sessionId);
    expect(rows.map((row) => [row['reason_code'], row['record_index'], row['why']])).toEqual([
      ['invalid_session_id', 1, 'same push as the CDR'],
      ['invalid_session_id', 1, 'same push as the CDR'],
    ]);
    expect(await panel('Refusals', other!.sessionId)).toEqual([]);
  });

  it("Recording: the call's recording task with where the copy is, and none for a call without one", async () => {
    const rows = await panel('Recording', call!.sessionId);
    expect(rows).toEqual([
      expect.objectContaining({ session_id: call!.sessionId, status: 'stored', stored_location: 'file:///srv/recordings/lookup.wav' }),
    ]);
    expect(await panel('Recording', other!.sessionId)).toEqual([]);
  });

  it('when the session is unknown or holds a quote, then every panel is empty and no query breaks', async () => {
    for (const session of ['no-such-session', "x' OR '1'='1"])
      for (const { title } of board.panels) expect(await panel(title, session), `${title}: ${session}`).toEqual([]);
  });
});
