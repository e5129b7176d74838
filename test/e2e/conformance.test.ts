import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '@callpipe/db';
import { cdrFieldSpecs, statusFieldSpecs, type Anomaly } from '@callpipe/events';
import { conformanceBodyBytes, conformanceCorpus, type ExpectedAcceptance } from '@callpipe/fixtures';
import { waitFor } from '@callpipe/testkit';
import type { Kysely } from 'kysely';
import { startPipeline, type StartedPipeline } from '../support/start-pipeline.ts';

// Every case of the conformance corpus, as exact bytes over HTTP into a real `callpipe start`, and
// read back column by column: what the unit test proves of the verdict must also hold in the tables.
const serverUrl = inject('databaseServerUrl');
const redisUrl = inject('redisUrl');

type Expected = ExpectedAcceptance | { rejected: string };

interface Case {
  name: string;
  bytes: Buffer;
  expected: Expected;
}

const SESSION_KEY = Buffer.from('"sessionId":');
const QUOTE = 0x22;
const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x39;

/**
 * Several cases share a session id, which would merge their rows; each case gets its own by
 * rewriting every `"sessionId":…` value in place, on the bytes, so whatever is not UTF-8 elsewhere
 * in the body stays exact. Returns the new bytes and each original id with its replacement.
 */
function renameSessions(bytes: Buffer, caseNumber: number): { bytes: Buffer; renamed: Map<string, string> } {
  const renamed = new Map<string, string>();
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = bytes.indexOf(SESSION_KEY); at !== -1; at = bytes.indexOf(SESSION_KEY, from)) {
    const start = at + SESSION_KEY.length;
    parts.push(bytes.subarray(from, start));
    let end = start;
    let replacement: string;
    if (bytes[start] === QUOTE) {
      end = bytes.indexOf(QUOTE, start + 1) + 1;
      const id = bytes.subarray(start + 1, end - 1).toString('utf8');
      replacement = `${id}-c${caseNumber}`;
      renamed.set(id, replacement);
      parts.push(Buffer.from(JSON.stringify(replacement)));
    } else {
      while (isDigit(bytes[end])) end += 1;
      const id = bytes.subarray(start, end).toString('utf8');
      replacement = `${id}${String(caseNumber).padStart(3, '0')}`;
      if (id.length > 0) renamed.set(id, replacement);
      parts.push(Buffer.from(id.length > 0 ? replacement : ''));
    }
    from = end;
  }
  parts.push(bytes.subarray(from));
  return { bytes: Buffer.concat(parts), renamed };
}

/** The case's expectation with its session ids (and a numeric id's anomaly value) renamed alike. */
function renameExpected(expected: Expected, renamed: Map<string, string>): Expected {
  if ('rejected' in expected) return expected;
  const id = (original: string): string => {
    const replacement = renamed.get(original);
    if (replacement === undefined) throw new Error(`session id ${original} is not in the body`);
    return replacement;
  };
  const anomalies = (list: Anomaly[]): Anomaly[] =>
    list.map((anomaly) =>
      anomaly.field === 'sessionId'
        ? { ...anomaly, value: typeof anomaly.value === 'number' ? Number(id(String(anomaly.value))) : id(String(anomaly.value)) }
        : anomaly,
    );
  return {
    ...expected,
    ...(expected.event && {
      event: { ...expected.event, sessionId: id(expected.event.sessionId), anomalies: anomalies(expected.event.anomalies) },
    }),
    ...(expected.records && {
      records: expected.records.map((record) => ({ ...record, sessionId: id(record.sessionId), anomalies: anomalies(record.anomalies) })),
    }),
  };
}

const cases: Case[] = conformanceCorpus.map((entry, index) => {
  const { bytes, renamed } = renameSessions(conformanceBodyBytes(entry), index + 1);
  return { name: entry.name, bytes, expected: renameExpected(entry.expected, renamed) };
});

const STATUS_COLUMNS = {
  eventAt: 'event_at',
  caller: 'caller',
  called: 'called',
  stateCode: 'state_code',
  stateDesc: 'state_desc',
  digitInfo: 'digit_info',
  userData: 'user_data',
  partyType: 'party_type',
} as const;
const CDR_COLUMNS = new Map<string, string>(cdrFieldSpecs.map((spec) => [spec.name, spec.column]));

/** The row's columns for the expected keys, times as ISO strings as the corpus writes them. */
function columnsOf(row: Record<string, unknown>, keys: string[], column: (key: string) => string): Record<string, unknown> {
  return Object.fromEntries(
    keys.map((key) => {
      const value = row[column(key)];
      return [key, value instanceof Date ? value.toISOString() : value];
    }),
  );
}

const hex = (bytes: Buffer | null | undefined) => (bytes ? bytes.toString('hex') : null);

let started: StartedPipeline | undefined;
let db: Kysely<Database>;
let ports: { ingest: number; ingestAdmin: number; workerAdmin: number };
/** Per case: the HTTP answer and the window in which the ingest received it. */
const sent: Array<{ status: number; body: string; from: Date; to: Date }> = [];

beforeAll(async () => {
  started = await startPipeline({ serverUrl, redisUrl, label: 'e2e_conformance' });
  ({ db, ports } = started);

  // One at a time, each in a millisecond of its own: push_deliveries and rejected_pushes carry no
  // session id, so a row is matched to its case by the ingest's received_at falling in its window.
  for (const entry of cases) {
    const last = sent.at(-1)?.to.getTime() ?? 0;
    while (Date.now() <= last) await new Promise((resolve) => setImmediate(resolve));
    const from = new Date();
    const response = await fetch(`http://127.0.0.1:${ports.ingest}/voicecall/events`, {
      method: 'POST',
      body: entry.bytes,
      headers: { 'Content-Type': 'application/json;charset=UTF-8' },
    });
    const body = await response.text();
    sent.push({ status: response.status, body, from, to: new Date() });
  }
});

afterAll(async () => {
  await started?.stop();
});

async function deliveriesIn(window: { from: Date; to: Date }) {
  return db
    .selectFrom('push_deliveries')
    .selectAll()
    .where('received_at', '>=', window.from)
    .where('received_at', '<=', window.to)
    .execute();
}

async function rejectionsIn(window: { from: Date; to: Date }) {
  return db
    .selectFrom('rejected_pushes')
    .selectAll()
    .where('stage', '=', 'ingest')
    .where('received_at', '>=', window.from)
    .where('received_at', '<=', window.to)
    .execute();
}

async function checkAccepted(index: number, expected: ExpectedAcceptance): Promise<void> {
  const answer = sent[index]!;
  expect(answer.status, answer.body).toBe(200);
  expect(JSON.parse(answer.body)).toMatchObject({ resultcode: '0' });
  // The ledger row commits in the same transaction as the push's rows.
  const deliveries = await waitFor(
    async () => {
      const found = await deliveriesIn(answer);
      return found.length > 0 ? found : null;
    },
    { what: 'the push stored', timeoutMs: 20_000 },
  );
  expect(deliveries).toHaveLength(1);
  const delivery = deliveries[0]!;
  expect(delivery.push_kind).toBe(expected.kind);
  expect(delivery.anomalies).toEqual(expected.pushAnomalies);
  expect(hex(delivery.original_body)).toBe(expected.keepsOriginalBytes ? hex(cases[index]!.bytes) : null);
  expect(await rejectionsIn(answer)).toEqual([]);

  if (expected.kind === 'status') {
    const event = expected.event!;
    const rows = await db.selectFrom('call_events').selectAll().where('session_id', '=', event.sessionId).execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect({ event_type: row.event_type, known_event_type: row.known_event_type }).toEqual({
      event_type: event.eventType,
      known_event_type: event.known,
    });
    const column = (key: string) => STATUS_COLUMNS[key as keyof typeof STATUS_COLUMNS];
    expect(columnsOf(row, Object.keys(event.values), column)).toEqual(event.values);
    expect(row.anomalies).toEqual(event.anomalies);
    return;
  }
  const records = expected.records!;
  expect({ record_count: delivery.record_count, rejected_record_count: delivery.rejected_record_count }).toEqual({
    record_count: records.length,
    rejected_record_count: expected.rejectedRecords?.length ?? 0,
  });
  for (const record of records) {
    const rows = await db.selectFrom('cdrs').selectAll().where('session_id', '=', record.sessionId).execute();
    expect(rows, record.sessionId).toHaveLength(1);
    const row = rows[0]!;
    expect(
      columnsOf(row, Object.keys(record.fields), (key) => CDR_COLUMNS.get(key)!),
      record.sessionId,
    ).toEqual(record.fields);
    expect(row.anomalies, record.sessionId).toEqual(record.anomalies);
  }
  const rejected = await db
    .selectFrom('rejected_pushes')
    .select(['record_index', 'reason_code', 'stage'])
    .where('delivery_id', '=', delivery.delivery_id)
    .orderBy('record_index')
    .execute();
  expect(rejected).toEqual(
    (expected.rejectedRecords ?? []).map(({ index: recordIndex, code }) => ({
      record_index: recordIndex,
      reason_code: code,
      stage: 'worker',
    })),
  );
}

async function checkRejected(index: number, code: string): Promise<void> {
  const answer = sent[index]!;
  expect(answer.status, answer.body).toBe(400);
  expect(JSON.parse(answer.body)).toMatchObject({ error: { code } });
  const rejections = await waitFor(
    async () => {
      const found = await rejectionsIn(answer);
      return found.length > 0 ? found : null;
    },
    { what: 'the rejected body kept', timeoutMs: 20_000 },
  );
  expect(rejections).toHaveLength(1);
  expect(rejections[0]).toMatchObject({ reason_code: code, body_truncated: false, record_index: null });
  expect(hex(rejections[0]!.body)).toBe(hex(cases[index]!.bytes));
  expect(await deliveriesIn(answer)).toEqual([]);
}

const DOCUMENTED_FIELDS = new Set([
  ...statusFieldSpecs.map((spec) => spec.name),
  ...cdrFieldSpecs.map((spec) => spec.name),
  'sessionId',
  'eventType',
  'statusInfo',
  'feeLst',
  'body',
]);

/** The metric's field label for an anomaly field as the corpus writes it: its last path segment. */
const fieldLabel = (field: string) => field.slice(field.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');

/** How often each (kind, field, code) must at least have been counted, from the corpus alone. */
function expectedAnomalyCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (kind: string, list: Anomaly[] | undefined) => {
    for (const anomaly of list ?? []) {
      const key = `${kind}|${fieldLabel(anomaly.field)}|${anomaly.code}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  };
  for (const { expected } of cases) {
    if ('rejected' in expected) continue;
    add('push', expected.pushAnomalies);
    add('status', expected.event?.anomalies);
    for (const record of expected.records ?? []) add('cdr', record.anomalies);
  }
  return counts;
}

function anomalySeries(metrics: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    const match = /^callpipe_worker_field_anomalies_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1]!, label[2]!]));
    series.set(`${labels['kind']}|${labels['field']}|${labels['code']}`, Number(match[2]));
  }
  return series;
}

describe('callpipe start, the conformance corpus over HTTP', () => {
  it('gives every case a session id of its own', () => {
    expect(cases.length).toBe(conformanceCorpus.length);
    const ids = cases.flatMap(({ expected }) =>
      'rejected' in expected ? [] : [expected.event?.sessionId ?? [], ...(expected.records ?? []).map((record) => record.sessionId)].flat(),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(cases.map((entry, index) => [entry.name, index] as const))('%s', async (_name, index) => {
    const expected = cases[index]!.expected;
    if ('rejected' in expected) await checkRejected(index, expected.rejected);
    else await checkAccepted(index, expected);
  });

  it('stored one ledger row per accepted case and kept one rejection per rejected case, nothing else', async () => {
    const accepted = cases.filter(({ expected }) => !('rejected' in expected)).length;
    const deliveries = await waitFor(
      async () => {
        const rows = await db.selectFrom('push_deliveries').select(['anomalies', 'original_body']).execute();
        return rows.length >= accepted ? rows : null;
      },
      { what: 'every accepted case stored', timeoutMs: 20_000 },
    );
    expect(deliveries).toHaveLength(accepted);
    const kept = deliveries.flatMap((row) => (row.original_body ? [hex(row.original_body)] : [])).sort();
    const keeping = cases.flatMap(({ expected, bytes }) => ('rejected' in expected || !expected.keepsOriginalBytes ? [] : [hex(bytes)]));
    expect(kept).toEqual(keeping.sort());
    const rejections = await db.selectFrom('rejected_pushes').select('reason_code').where('stage', '=', 'ingest').execute();
    expect(rejections.map((row) => row.reason_code).sort()).toEqual(
      cases.flatMap(({ expected }) => ('rejected' in expected ? [expected.rejected] : [])).sort(),
    );
  });

  it('counts every anomaly of the corpus in callpipe_worker_field_anomalies_total, with bounded field labels', async () => {
    const expected = expectedAnomalyCounts();
    expect(expected.size).toBeGreaterThan(0);
    let series = new Map<string, number>();
    const short = () => [...expected].filter(([key, count]) => (series.get(key) ?? 0) < count).map(([key, count]) => `${key} >= ${count}`);
    // The counter moves just after the commit the rows above were read from; the failure below names what is short.
    await waitFor(
      async () => {
        series = anomalySeries(await (await fetch(`http://127.0.0.1:${ports.workerAdmin}/metrics`)).text());
        return short().length === 0;
      },
      { what: 'every expected anomaly counted' },
    ).catch(() => undefined);
    expect(short()).toEqual([]);
    for (const key of series.keys()) {
      const field = key.split('|')[1]!;
      expect(field === 'other' || DOCUMENTED_FIELDS.has(field), key).toBe(true);
    }
  });
});
