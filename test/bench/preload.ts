import { execFileSync } from 'node:child_process';
import { DEFAULT_BILLING_TIME_ZONE } from '@callpipe/events';
import { ensurePartitions, rebuildBillingRollup, type Database } from '@callpipe/db';
import { sql, type Kysely } from 'kysely';

const DEFAULT_DAYS = 30;
/** `push_deliveries.source` of the preloaded rows, so measurements can leave them out. */
export const HISTORY_SOURCE = 'history';
/**
 * Session ids shaped like the documented sample (`1201_612_4294967295_20190124030424@callenabler245…`,
 * a short prefix then the call's UTC start time), with as many prefixes as the simulator uses, so
 * the history sits among the live traffic's keys in the `calls` primary key; the `#history-` tail
 * keeps them apart from the simulator's `#<index>-` ids. Reads the row number `g` and the start time
 * `a.at` of the query it is used in.
 */
export const historySessionId = sql.raw(
  `'1201_' || lpad((g % 10000)::text, 4, '0') || '_4294967295_' || to_char(a.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || '@callenabler245.huaweicaas.com#history-' || g`,
);

/**
 * Fills a fresh callpipe database with `rows` rows of history spread over the last `days` days (30 unless given), in
 * the proportions live traffic leaves behind: per call one `calls` row, four `call_events`, one
 * `cdrs` row, a `billing_contributions` row, and a `push_deliveries` row per delivery of two in
 * three calls. The session ids never collide with the benchmark's own traffic, so every later push
 * still creates new rows: the cost measured is inserting into and looking up in large indexes, not
 * updating old rows.
 */
export async function preloadHistory(db: Kysely<Database>, rows: number, days = DEFAULT_DAYS): Promise<{ calls: number; seconds: number }> {
  const started = Date.now();
  const calls = Math.max(1, Math.floor(rows / (1 + 4 + 1 + 1 + 4 * (2 / 3))));
  const deliveries = rows - calls * 7;
  await ensurePartitions(db, { now: new Date(Date.now() - days * 86_400_000), aheadDays: days + 1, retentionDays: 0 });
  await sql`SET synchronous_commit = off`.execute(db);
  await sql`SET statement_timeout = 0`.execute(db);
  await sql`
    INSERT INTO calls (session_id, business, business_source, app_key, state, outcome, caller_number, called_number, started_at,
      ringing_at, answered_at, ended_at, ring_seconds, talk_seconds, state_code, has_cdr, leg_count, facts, call_day)
    SELECT t.session_id, 'notify', 'app_key', 'history-app', 'ended', CASE WHEN g % 5 = 0 THEN 'unanswered' ELSE 'answered' END,
      '+86571' || lpad((g % 100000000)::text, 8, '0'), '+86138' || lpad((g * 7 % 100000000)::text, 8, '0'), t.at,
      t.at + interval '2 s', t.at + interval '6 s', t.at + interval '66 s', 4, 60, 0, true, 1,
      jsonb_build_object('sessionId', t.session_id, 'legs', jsonb_build_array(jsonb_build_object('callout', t.at, 'answer', t.at + interval '6 s'))),
      (t.at AT TIME ZONE 'UTC')::date
    FROM generate_series(1, ${calls}::int) g,
      LATERAL (SELECT now() - (g % ${days}) * interval '1 day' - (g % 86000) * interval '1 s' AS at) a,
      LATERAL (SELECT a.at, ${historySessionId} AS session_id) t`.execute(db);
  await sql`
    INSERT INTO call_events (session_id, event_key, event_type, known_event_type, event_at, caller, called, state_code, payload,
      delivery_count, first_received_at, last_received_at, call_day)
    SELECT c.session_id, md5(c.session_id || e.n) || md5(e.n || c.session_id), e.type, true, c.started_at + e.n * interval '2 s',
      c.caller_number, c.called_number, CASE WHEN e.type = 'disconnect' THEN 0 END,
      jsonb_build_object('eventType', e.type, 'statusInfo', jsonb_build_object('sessionId', c.session_id, 'timestamp', to_char(c.started_at, 'YYYY-MM-DD HH24:MI:SS'),
        'caller', c.caller_number, 'called', c.called_number)),
      1, c.started_at, c.started_at, c.call_day
    FROM calls c CROSS JOIN (VALUES (1, 'callout'), (2, 'alerting'), (3, 'answer'), (4, 'disconnect')) AS e(n, type)`.execute(db);
  await sql`
    INSERT INTO cdrs (session_id, record_key, field_count, business, business_source, app_key, caller_num, callee_num, call_out_start_time,
      call_out_answer_time, call_end_time, service_type, ring_seconds, talk_seconds, billable_minutes, record, delivery_count, first_received_at,
      last_received_at, call_day)
    SELECT c.session_id, md5(c.session_id) || md5(c.session_id || 'cdr'), 9, 'notify', 'app_key', 'history-app', c.caller_number, c.called_number,
      c.started_at, c.answered_at, c.ended_at, '003', 4, 60, 1,
      jsonb_build_object('sessionId', c.session_id, 'appKey', 'history-app', 'callerNum', c.caller_number, 'calleeNum', c.called_number,
        'callOutStartTime', to_char(c.started_at, 'YYYY-MM-DD HH24:MI:SS'), 'callEndTime', to_char(c.ended_at, 'YYYY-MM-DD HH24:MI:SS'), 'serviceType', '003'),
      1, c.ended_at, c.ended_at, c.call_day
    FROM calls c`.execute(db);
  await sql`
    INSERT INTO push_deliveries (delivery_id, push_kind, source, received_at, stored_at, record_count)
    SELECT gen_random_uuid(), CASE WHEN g % 5 = 0 THEN 'fee' ELSE 'status' END, ${HISTORY_SOURCE}, t.at, t.at, 1
    FROM generate_series(1, ${Math.max(0, deliveries)}::int) g, LATERAL (SELECT now() - (g % ${days}) * interval '1 day' - (g % 86000) * interval '1 s' AS at) t`.execute(
    db,
  );
  // Each call's billing contribution and the day totals, as the live store leaves them.
  await db.transaction().execute((trx) => rebuildBillingRollup(trx, DEFAULT_BILLING_TIME_ZONE));
  // As on a system that has been running: history vacuumed, else autovacuum's insert-triggered
  // vacuum of 10M fresh rows competes for the same cores during the measurement.
  await sql`VACUUM (ANALYZE)`.execute(db);
  // Nor is a running system still writing back the tens of GB just loaded: a checkpoint and the
  // kernel's writeback would compete with the measurement for the disk, and each commit's fsync wait.
  await sql`CHECKPOINT`.execute(db);
  execFileSync('sync');
  return { calls, seconds: (Date.now() - started) / 1000 };
}
