// `node --conditions=@callpipe/source test/bench/archive-read.ts [--calls N] [--history N] <database url>`
// (from the repo root): the time the archive takes to read one day of `calls` (readDayRows), with N
// calls on that day and N of history on 30 other days (defaults 300,000 and 600,000), with the
// preload's session ids. Fills the database when it creates it; later runs reuse it, so two
// checkouts can be timed against the same data.
import { parseArgs } from 'node:util';
import { createDatabase, ensureDatabaseExists, migrateToLatest, readDayRows } from '@callpipe/db';
import { sql } from 'kysely';
import { historySessionId } from './preload.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { calls: { type: 'string', default: '300000' }, history: { type: 'string', default: '600000' } },
});
const [url] = positionals;
if (!url) throw new Error('usage: archive-read.ts [--calls N] [--history N] <database url>');
const calls = Number(values.calls);
const history = Number(values.history);
const { created } = await ensureDatabaseExists(url);
const db = createDatabase({ connectionString: url, statementTimeoutMs: 0 });
if (created) {
  await migrateToLatest(db);
  await sql`
    INSERT INTO calls (session_id, business, business_source, app_key, state, outcome, started_at, ended_at, has_cdr, leg_count, facts, call_day)
    SELECT t.id, 'notify', 'app_key', 'history-app', 'ended', 'answered', t.at, t.at + interval '60 s', true, 1,
      jsonb_build_object('sessionId', t.id, 'pad', repeat('x', 400)), (t.at AT TIME ZONE 'UTC')::date
    FROM generate_series(1, ${calls + history}::int) g,
      LATERAL (SELECT CASE WHEN g <= ${calls}::int THEN timestamptz '2024-06-10 00:00:00+00' + (g * 86000.0 / ${calls}::int) * interval '1 s'
                           ELSE timestamptz '2024-05-01 00:00:00+00' + (g % 86000) * interval '1 s' + (g % 30) * interval '1 day' END AS at) a,
      LATERAL (SELECT a.at, ${historySessionId} AS id) t`.execute(db);
  await sql`VACUUM ANALYZE calls`.execute(db);
}
const started = performance.now();
let rows = 0;
await db.transaction().execute(async (trx) => {
  for await (const _line of readDayRows(trx, 'calls', '2024-06-10')) rows += 1;
});
console.log(JSON.stringify({ calls, history, rows, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) }));
await db.destroy();
