import { parsePush } from '@callpipe/events';
import { createRandom, demoBusinessByAppKey, generateCalls, type Push } from '@callpipe/fixtures';
import { sql, type Kysely } from 'kysely';
import type { Database } from '@callpipe/db';

export interface Send {
  push: Push;
  path: string;
}

export type Outcome = 'acked' | 'rejected' | 'unavailable' | 'error';

export interface TrafficOptions {
  /** Status pushes lost on the way (never re-sent by the platform). */
  lossProbability?: number;
  /** CDR pushes that are re-pushed (2 to 7 deliveries in all, as 6 hourly re-pushes plus a manual re-send). */
  redeliveryProbability?: number;
  /** Status pushes that arrive twice. */
  duplicateStatusProbability?: number;
  /** Most CDRs merged into one push (the platform merges up to 50 calls ending together). */
  maxCdrsPerPush?: number;
  startAt?: Date;
}

/**
 * Realistic traffic: every business, both click-to-call legs, collected digits, failed and
 * unanswered calls, lost status pushes, merged CDR pushes, CDRs re-pushed up to six more times,
 * some status pushes sent twice, all in scrambled order.
 */
export function buildTraffic(seed: number, callCount: number, options: TrafficOptions = {}): Send[] {
  const random = createRandom(seed);
  const calls = generateCalls(seed, callCount, {
    lossProbability: options.lossProbability ?? 0.05,
    startAt: options.startAt ?? new Date(Date.UTC(2024, 5, 11, 2, 0, 0)),
  });
  const sends: Send[] = [];
  for (const call of calls) {
    for (const push of call.statusPushes) {
      sends.push({ push, path: '/voicecall/status' });
      if (random.chance(options.duplicateStatusProbability ?? 0.05)) sends.push({ push, path: '/voicecall/status' });
    }
  }
  const maxPerPush = Math.max(1, Math.min(50, options.maxCdrsPerPush ?? 1));
  for (let i = 0; i < calls.length;) {
    const size = random.int(1, maxPerPush);
    const cdr: Push = { eventType: 'fee', feeLst: calls.slice(i, i + size).map((call) => call.cdr) };
    i += size;
    const deliveries = random.chance(options.redeliveryProbability ?? 0.3) ? random.int(2, 7) : 1;
    for (let n = 0; n < deliveries; n += 1) sends.push({ push: cdr, path: '/voicecall/fee' });
  }
  return random.shuffle(sends);
}

export interface Sent extends Send {
  outcome: Outcome;
}

export interface DriveOptions {
  ratePerSecond: number;
  concurrency: number;
  /** Called after each answer, e.g. for a progress line. */
  onResult?: (sent: Sent, done: number) => void;
  /** Extra request headers for each push, e.g. a signature made just before it is sent. */
  headersFor?: (url: string) => Record<string, string>;
}

/**
 * Sends at a steady rate with bounded concurrency and records what each push got back. `target`
 * is either a base URL (the send's path is appended) or a function choosing the URL per push.
 */
export async function drive(target: string | ((send: Send) => string), sends: readonly Send[], options: DriveOptions): Promise<Sent[]> {
  const urlFor = typeof target === 'string' ? (send: Send) => `${target}${send.path}` : target;
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
        const url = urlFor(send);
        const result: Sent = { ...send, outcome: await post(url, send, options.headersFor?.(url) ?? {}) };
        results.push(result);
        options.onResult?.(result, results.length);
      }
    }),
  );
  return results;
}

async function post(url: string, send: Send, headers: Record<string, string>): Promise<Outcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(send.push),
      headers: { 'Content-Type': 'application/json;charset=UTF-8', ...headers },
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
  /** Pushes sent. */
  sent: number;
  /** Pushes answered 200. */
  acked: number;
  /** Deliveries those acked pushes carry: one per status push, one per CDR record. */
  expected: number;
  /** Of those, how many the tables count. */
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
  const sessions = new Set<string>();
  for (const item of sent) {
    const verdict = parsePush(JSON.stringify(item.push), { businessByAppKey: demoBusinessByAppKey });
    if (!verdict.ok) throw new Error(`traffic holds an invalid push: ${verdict.rejection.message}`);
    const keys =
      verdict.kind === 'status'
        ? [`e|${verdict.event.sessionId}|${verdict.event.eventKey}`]
        : verdict.records.map((record) => `c|${record.sessionId}`);
    for (const sessionId of verdict.kind === 'status' ? [verdict.event.sessionId] : verdict.records.map((record) => record.sessionId))
      sessions.add(sessionId);
    for (const key of keys) {
      const entry = expected.get(key) ?? { acked: 0, uncertain: 0 };
      if (item.outcome === 'acked') entry.acked += 1;
      else if (item.outcome !== 'rejected') entry.uncertain += 1;
      expected.set(key, entry);
    }
  }
  // Only the calls this traffic created: the deployment may hold any amount of other data.
  const sessionIds = [...sessions];
  const stored = new Map<string, number>();
  const events = await sql<{ session_id: string; event_key: string; delivery_count: number }>`
    SELECT session_id, event_key, delivery_count FROM call_events WHERE session_id = ANY(${sessionIds}::text[])`.execute(db);
  for (const row of events.rows) stored.set(`e|${row.session_id}|${row.event_key}`, row.delivery_count);
  const cdrs = await sql<{ session_id: string; delivery_count: number }>`
    SELECT session_id, delivery_count FROM cdrs WHERE session_id = ANY(${sessionIds}::text[])`.execute(db);
  for (const row of cdrs.rows) stored.set(`c|${row.session_id}`, row.delivery_count);

  const result: Tally = {
    sent: sent.length,
    acked: sent.filter((item) => item.outcome === 'acked').length,
    expected: 0,
    stored: 0,
    lost: 0,
    duplicated: 0,
  };
  for (const [key, { acked, uncertain }] of expected) {
    result.expected += acked;
    const count = stored.get(key) ?? 0;
    result.stored += Math.min(count, acked);
    result.lost += Math.max(0, acked - count);
    result.duplicated += Math.max(0, count - acked - uncertain);
  }
  // A stored event of these calls that no push carried would be a phantom.
  for (const [key, count] of stored) if (!expected.has(key)) result.duplicated += count;
  return result;
}

/** Tallies until every acked push is stored or the time is up, and returns the last tally. */
export async function tallyWhenSettled(
  db: Kysely<Database>,
  sent: readonly Sent[],
  timeoutMs: number,
): Promise<Tally & { settled: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await tally(db, sent);
    if (result.stored === result.expected && result.lost === 0) return { ...result, settled: true };
    if (Date.now() > deadline) return { ...result, settled: false };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
