import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createDatabase,
  ensureDatabaseExists,
  ensurePartitions,
  migrateToLatest,
  rebuildBillingRollup,
  refreshBillingRollup,
} from '@callpipe/db';
import { databaseUrlFor, dropDatabase } from '@callpipe/testkit/support';
import { sql } from 'kysely';
import { REPO_ROOT } from '../support/process.ts';
import { expandSqlMacros } from '../support/promql.ts';

// `node --conditions=@callpipe/source test/bench/rollups.ts [--quick] [--calls N]`: every SQL panel
// of the Calls board on N calls (1M by default, 100k quick) over 30 days, on 24 h and 30-day
// windows, before (the raw tables: the board's SQL with the rollup branch switched off, which is the
// SQL the board had before billing_daily) and after (the board as it is). Median of several runs,
// all in one run on one database, so the ratios hold on a loaded machine; absolute times do not.
const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, calls: { type: 'string' }, runs: { type: 'string' } },
});
const CALLS = Number(args.calls ?? (args.quick ? 100_000 : 1_000_000));
const RUNS = Number(args.runs ?? (args.quick ? 3 : 5));
const DAYS = 30;
const serverUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TIME_ZONE = 'Asia/Shanghai';

const board = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/grafana/dashboards/calls.json'), 'utf8')) as {
  panels: Array<{ title: string; type: string; targets?: Array<{ rawSql?: string }> }>;
  templating: { list: Array<{ name: string; type: string; query: string }> };
};
const variables = Object.fromEntries(board.templating.list.filter((v) => v.type === 'constant').map((v) => [v.name, v.query]));
const panels = board.panels.flatMap((panel) =>
  (panel.targets ?? []).flatMap((target) => (target.rawSql ? [{ title: panel.title, rawSql: target.rawSql }] : [])),
);
/** The board's SQL as it was before the rollup: its raw-table branch, whatever the window. */
const rawOnly = (rawSql: string) =>
  rawSql.replaceAll("<= interval '1 day'", "<= interval '1000 days'").replaceAll("> interval '1 day'", "> interval '1000 days'");

class RolledBack extends Error {}

const databaseName = `callpipe_bench_rollups_${process.pid}`;
const url = databaseUrlFor(serverUrl, databaseName);
await ensureDatabaseExists(url);
const db = createDatabase({ connectionString: url, poolSize: 1, applicationName: 'callpipe-bench-rollups', statementTimeoutMs: 0 });
try {
  await migrateToLatest(db);
  await ensurePartitions(db, { now: new Date(Date.now() - DAYS * 86_400_000), aheadDays: DAYS + 1, retentionDays: 0 });
  const loadStarted = performance.now();
  await sql`SET synchronous_commit = off`.execute(db);
  // 12 apps of the three businesses; outcomes 70 % answered, 20 % unanswered, 10 % failed; a CDR for 95 %.
  await sql`
    INSERT INTO calls (session_id, business, business_source, app_key, state, outcome, started_at, ringing_at, answered_at, ended_at,
      ring_seconds, talk_seconds, state_code, has_cdr, leg_count, facts, call_day)
    SELECT 'bench-' || g, (ARRAY['click2call', 'notify', 'verify'])[g % 3 + 1], 'app_key', 'bench-app-' || (g % 12), 'ended',
      CASE WHEN g % 10 < 7 THEN 'answered' WHEN g % 10 < 9 THEN 'unanswered' ELSE 'failed' END,
      t.at, t.at + interval '2 s', CASE WHEN g % 10 < 7 THEN t.at + interval '6 s' END, t.at + (6 + g % 300) * interval '1 s',
      4, CASE WHEN g % 10 < 7 THEN g % 300 END, CASE WHEN g % 10 = 9 THEN 10 + g % 7 ELSE 0 END, g % 20 <> 0, 1, '{}'::jsonb,
      (t.at AT TIME ZONE 'UTC')::date
    FROM generate_series(1, ${CALLS}::int) g, LATERAL (SELECT now() - (g::bigint * ${DAYS * 86_400}::bigint / ${CALLS}) * interval '1 s' AS at) t`.execute(
    db,
  );
  await sql`
    INSERT INTO cdrs (session_id, record_key, field_count, business, business_source, app_key, call_out_start_time, call_out_answer_time,
      call_end_time, ul_fail_reason, service_type, ring_seconds, talk_seconds, call_out_leg_seconds, fwd_leg_seconds, billable_minutes,
      call_out_minutes, fwd_minutes, call_out_cost, fwd_cost, total_cost, cost_currency, record, delivery_count, first_received_at, last_received_at, call_day)
    SELECT c.session_id, md5(c.session_id), 9, c.business, 'app_key', c.app_key, c.started_at, c.answered_at, c.ended_at,
      CASE WHEN c.outcome = 'failed' THEN 3 END, '003', 4, c.talk_seconds, c.talk_seconds, CASE WHEN c.business = 'click2call' THEN c.talk_seconds END,
      m.out + coalesce(m.fwd, 0), m.out, m.fwd, m.out * 0.06, m.fwd * 0.07, m.out * 0.06 + coalesce(m.fwd * 0.07, 0), 'CNY',
      '{}'::jsonb, 1 + (hashtext(c.session_id) & 3 = 0)::int, c.ended_at + interval '20 s', c.ended_at + interval '20 s', c.call_day
    FROM calls c, LATERAL (SELECT ceil(coalesce(c.talk_seconds, 0) / 60.0)::int AS out,
      CASE WHEN c.business = 'click2call' THEN ceil(coalesce(c.talk_seconds, 0) / 60.0)::int END AS fwd) m
    WHERE c.has_cdr`.execute(db);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const rebuildStarted = performance.now();
  const rebuilt = await db.transaction().execute((trx) => rebuildBillingRollup(trx, TIME_ZONE));
  const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
  await sql`VACUUM (ANALYZE)`.execute(db);

  const time = async (query: string) => {
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      await sql.raw(query).execute(db);
      samples.push(performance.now() - started);
    }
    return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  };
  const now = new Date();
  const windows = [
    { name: '24 h', from: new Date(now.getTime() - 86_400_000) },
    { name: '30 d', from: new Date(now.getTime() - DAYS * 86_400_000) },
  ];
  console.log(
    `rollups: ${CALLS.toLocaleString('en-US')} calls over ${DAYS} days loaded in ${loadSeconds.toFixed(0)} s; rollups rebuild: ${rebuilt.groups.toLocaleString('en-US')} billing_daily rows in ${rebuildSeconds.toFixed(1)} s; median of ${RUNS} runs per query`,
  );
  console.log('');
  console.log('| panel | 24 h before | 24 h after | 30 d before | 30 d after | 30 d ratio |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const panel of panels) {
    const cells: number[] = [];
    for (const window of windows)
      for (const rawSql of [rawOnly(panel.rawSql), panel.rawSql])
        cells.push(await time(expandSqlMacros(rawSql, window.from, now, variables)));
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(`| ${panel.title} | ${cells.map(ms).join(' | ')} | ${(cells[3]! / cells[2]!).toFixed(3)}× |`);
  }

  // What keeping the rollup costs a worker's transaction: a batch of 1,000 calls new to it (their
  // contributions removed first, inside a transaction that is rolled back).
  const batchSamples: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const ids = Array.from({ length: 1_000 }, (_, i) => `bench-${1 + ((run * 7_919 + i * 104_729) % CALLS)}`);
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`DELETE FROM billing_contributions WHERE session_id = ANY(${ids}::text[])`.execute(trx);
        const days = await sql<{ session_id: string; call_day: string }>`
          SELECT session_id, call_day::text AS call_day FROM calls WHERE session_id = ANY(${ids}::text[])`.execute(trx);
        const started = performance.now();
        await refreshBillingRollup(trx, new Map(days.rows.map((row) => [row.session_id, row.call_day])), TIME_ZONE);
        batchSamples.push(performance.now() - started);
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
  }
  console.log('');
  console.log(
    `rollup upkeep per worker batch of 1,000 new calls: ${batchSamples.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!.toFixed(1)} ms (median)`,
  );
} finally {
  await db.destroy();
  await dropDatabase(serverUrl, databaseName);
}
