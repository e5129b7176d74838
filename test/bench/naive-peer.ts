import express from 'express';
import pg from 'pg';

// The design users write without callpipe: an Express handler that writes each push to Postgres
// (one upsert per call in a transaction) before answering.
const [port, databaseUrl] = [Number(process.argv[2] ?? 0), process.argv[3] ?? 'postgres://postgres@127.0.0.1:5432/postgres'];
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
await pool.query(`CREATE TABLE IF NOT EXISTS naive_events (session_id text NOT NULL, event_type text NOT NULL, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS naive_events_session_idx ON naive_events (session_id);
  CREATE TABLE IF NOT EXISTS naive_calls (session_id text PRIMARY KEY, last_event text, updated_at timestamptz NOT NULL DEFAULT now());`);

const app = express();
app.post('/voicecall/events', express.raw({ type: () => true, limit: '1mb' }), async (request, response) => {
  try {
    const push = JSON.parse((request.body as Buffer).toString('utf8')) as {
      eventType: string;
      statusInfo?: { sessionId: string };
      feeLst?: Array<{ sessionId: string }>;
    };
    const sessions = push.statusInfo ? [push.statusInfo.sessionId] : (push.feeLst ?? []).map((record) => record.sessionId);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const sessionId of sessions) {
        await client.query('INSERT INTO naive_events (session_id, event_type, payload) VALUES ($1, $2, $3)', [
          sessionId,
          push.eventType,
          push,
        ]);
        await client.query(
          'INSERT INTO naive_calls (session_id, last_event) VALUES ($1, $2) ON CONFLICT (session_id) DO UPDATE SET last_event = excluded.last_event, updated_at = now()',
          [sessionId, push.eventType],
        );
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    response.json({ resultcode: '0', resultdesc: 'Success' });
  } catch {
    response.status(500).json({ error: 'failed' });
  }
});
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
