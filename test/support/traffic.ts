import { parsePush } from '@callpipe/events';
import { createRandom, demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@callpipe/db';

export interface Send {
  push: Push;
  path: string;
}

export type Outcome = 'acked' | 'rejected' | 'unavailable' | 'error';

/**
 * Realistic traffic for fault tests: every business, lost status pushes, CDRs re-pushed up to six
 * more times (as the platform does hourly), some status pushes sent twice, all in scrambled order.
 */
export function buildTraffic(seed: number, callCount: number): Send[] {
  const random = createRandom(seed);
  const calls = generateCalls(seed, callCount, { lossProbability: 0.05, startAt: new Date(Date.UTC(2024, 5, 11, 2, 0, 0)) });
  const sends: Send[] = [];
  for (const call of calls) {
    for (const push of call.statusPushes) {
      sends.push({ push, path: '/voicecall/status' });
      if (random.chance(0.05)) sends.push({ push, path: '/voicecall/status' });
    }
    const cdr: Push = { eventType: 'fee', feeLst: [call.cdr] };
    const deliveries = random.chance(0.3) ? random.int(2, 7) : 1;
    for (let i = 0; i < deliveries; i += 1) sends.push({ push: cdr, path: '/voicecall/fee' });
  }
  return random.shuffle(sends);
}

export interface Sent extends Send {
  outcome: Outcome;
}

/** Sends at a steady rate with bounded concurrency and records what each push got back. */
export async function drive(baseUrl: string, sends: readonly Send[], options: { ratePerSecond: number; concurrency: number }): Promise<Sent[]> {
  const results: Sent[] = [];
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (;;) {
        const index = next;
        next += 1;
        const send = sends[index];
        if (!send) return;
        const due = started + (index * 1000) / options.ratePerSecond;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        results.push({ ...send, outcome: await post(baseUrl, send) });
      }
    }),
  );
  return results;
}

async function post(baseUrl: string, send: Send): Promise<Outcome> {
  try {
    const response = await fetch(`${baseUrl}${send.path}`, {
      method: 'POST',
      body: JSON.stringify(send.push),
      headers: { 'Content-Type': 'application/json;charset=UTF-8' },
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    if (response.status === 200) return 'acked';
    return response.status === 503 ? 'unavailable' : 'rejected';
  } catch {
    // Refused, reset or timed out: the push may or may not have been taken.
    return 'error';
  }
}

export interface Tally {
  sent: number;
  acked: number;
  stored: number;
  lost: number;
  duplicated: number;
}

/**
 * Compares what got 200 with what is stored, per natural key (status event content, CDR session):
 * every acked delivery must be counted exactly once. Pushes whose answer was lost (connection
 * error, 503 after a timeout) may or may not be stored, so they widen the allowed upper bound.
 */
export async function tally(db: Kysely<Database>, sent: readonly Sent[]): Promise<Tally> {
  const expected = new Map<string, { acked: number; uncertain: number }>();
  for (const item of sent) {
    const verdict = parsePush(JSON.stringify(item.push), { businessByAppKey: demoBusinessByAppKey });
    if (!verdict.ok) throw new Error(`traffic holds an invalid push: ${verdict.rejection.message}`);
    const keys = verdict.kind === 'status' ? [`e|${verdict.event.sessionId}|${verdict.event.eventKey}`] : verdict.records.map((record) => `c|${record.sessionId}`);
    for (const key of keys) {
      const entry = expected.get(key) ?? { acked: 0, uncertain: 0 };
      if (item.outcome === 'acked') entry.acked += 1;
      else if (item.outcome !== 'rejected') entry.uncertain += 1;
      expected.set(key, entry);
    }
  }
  const stored = new Map<string, number>();
  const events = await sql<{ session_id: string; event_key: string; delivery_count: number }>`SELECT session_id, event_key, delivery_count FROM call_events`.execute(db);
  for (const row of events.rows) stored.set(`e|${row.session_id}|${row.event_key}`, row.delivery_count);
  const cdrs = await sql<{ session_id: string; delivery_count: number }>`SELECT session_id, delivery_count FROM cdrs`.execute(db);
  for (const row of cdrs.rows) stored.set(`c|${row.session_id}`, row.delivery_count);

  const result: Tally = { sent: sent.length, acked: sent.filter((item) => item.outcome === 'acked').length, stored: 0, lost: 0, duplicated: 0 };
  for (const [key, { acked, uncertain }] of expected) {
    const count = stored.get(key) ?? 0;
    result.stored += Math.min(count, acked);
    result.lost += Math.max(0, acked - count);
    result.duplicated += Math.max(0, count - acked - uncertain);
  }
  for (const key of stored.keys()) if (!expected.has(key)) result.duplicated += stored.get(key)!;
  return result;
}
