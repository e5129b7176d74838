import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { acceptedDelivery, setTariff, storeDeliveries, storeRejectedPushes, type AcceptedDelivery } from '@callpipe/db';
import {
  addMoney,
  billingDayOf,
  cdrCallTime,
  deriveCall,
  mergeAllCallFacts,
  parsePush,
  rateCdr,
  startOfBillingDay,
  type CallSummary,
  type CdrRecord,
  type Tariff,
} from '@callpipe/events';
import { demoBusinessByAppKey, factsOfPush, generateCalls, type GeneratedCall, type Push } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { REPO_ROOT } from '../support/process.ts';
import { expandSqlMacros } from '../support/promql.ts';

// Every SQL panel of the Calls board, run with the board's own time range on calls and CDRs this
// test stores, must give exactly what those calls and CDRs make: what each panel shows is
// computed here from the pure model, not read back from the tables.

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ rawSql?: string }>;
}
const board = JSON.parse(readFileSync(join(REPO_ROOT, 'infra/grafana/dashboards/calls.json'), 'utf8')) as {
  time: { from: string; to: string };
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
};
const variables = Object.fromEntries(board.templating.list.filter((v) => v.type === 'constant').map((v) => [v.name, v.query]));
const billingTimeZone = variables['billing_tz']!;
const panels = board.panels.flatMap((panel) =>
  (panel.targets ?? []).flatMap((target) => (target.rawSql ? [{ key: `${panel.title} [${panel.type}]`, rawSql: target.rawSql }] : [])),
);

/** `now`, `now-24h`, `now-7d`: the relative times Grafana boards use. */
function grafanaTime(text: string, now: number): Date {
  const match = /^now(?:-(\d+)([mhd]))?$/.exec(text);
  if (!match) throw new Error(`unsupported dashboard time ${text}`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'] ?? 0;
  return new Date(now - Number(match[1] ?? 0) * unit);
}

const now = Date.now();
const from = grafanaTime(board.time.from, now);
const to = grafanaTime(board.time.to, now);
const options = { businessByAppKey: demoBusinessByAppKey };
// Nine hours ago: inside the board's range, and every call ended more than the 7-hour CDR horizon ago.
const calls = generateCalls(41, 40, { startAt: new Date(now - 9 * 3_600_000) });
const withoutCdr = calls.slice(0, 5);
const withCdr = calls.slice(5);
// Recorded calls, so the recordings panel has tasks to count: the first seven with a CDR.
for (const [index, call] of withCdr.slice(0, 7).entries())
  Object.assign(call.cdr, { recordFlag: 1, recordObjectName: `board-${index}.wav`, recordDomain: 'ostor.example.com' });
/** CDRs pushed more than once: the platform re-pushing, an operator re-sending. */
const redeliveries = new Map([
  [withCdr[0]!.sessionId, 3],
  [withCdr[1]!.sessionId, 2],
]);
const rejections = [
  { reasonCode: 'invalid_json', times: 3 },
  { reasonCode: 'fee_list_size', times: 1 },
];
/** Seconds from a call's end to its CDR's first arrival, different per call so percentiles mean something. */
const arrivalDelay = (index: number) => 5 + (index % 7) * 11;

const summaries: CallSummary[] = [
  ...withoutCdr.map((call) => deriveCall(mergeAllCallFacts(call.statusPushes.flatMap((push) => factsOfPush(push, options))))),
  ...withCdr.map((call) =>
    deriveCall(mergeAllCallFacts([...call.statusPushes, cdrPush(call)].flatMap((push) => factsOfPush(push, options)))),
  ),
];
const cdrs: Array<{ record: CdrRecord; delaySeconds: number }> = withCdr.map((call, index) => ({
  record: parsed(cdrPush(call)).records[0]!,
  delaySeconds: arrivalDelay(index),
}));

function cdrPush(call: GeneratedCall): Push {
  return { eventType: 'fee', feeLst: [call.cdr] };
}

function parsed(push: Push) {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok || verdict.kind !== 'fee') throw new Error('expected a valid CDR push');
  return verdict;
}

function delivery(push: Push, receivedAt: Date): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: receivedAt.toISOString() }, verdict);
}

const validFrom = new Date('2020-01-01T00:00:00Z');
const tariffs: Tariff[] = [
  { id: 0, appKey: null, business: 'click2call', leg: 'call-out', price: '0.060000', currency: 'CNY', validFrom },
  { id: 0, appKey: null, business: 'click2call', leg: 'forwarded', price: '0.070000', currency: 'CNY', validFrom },
  { id: 0, appKey: null, business: 'notify', leg: 'call-out', price: '0.100000', currency: 'CNY', validFrom },
];
/** Calls whose CDR has a recording: the storing creates a task for each, first seen at the CDR's first delivery. */
const recorded = withCdr.flatMap((call, index) =>
  cdrs[index]!.record.fields.recordFlag === 1 && cdrs[index]!.record.fields.recordObjectName
    ? [{ sessionId: call.sessionId, firstSeen: Date.parse(cdrs[index]!.record.fields.callEndTime!) + arrivalDelay(index) * 1_000 }]
    : [],
);
const recordingOutcomes = (['stored', 'stored', 'failed', 'expired', 'unavailable'] as const).flatMap((status, index) =>
  recorded[index] ? [[status, recorded[index].sessionId] as const] : [],
);

let database: TestDatabase;

beforeAll(async () => {
  database = await testContext().createDatabase();
  for (const { id: _id, ...tariff } of tariffs) await setTariff(database.db, tariff);
  const deliveries: AcceptedDelivery[] = [];
  for (const call of calls)
    for (const push of call.statusPushes)
      deliveries.push(delivery(push, new Date(Date.parse(`${String(push.statusInfo['timestamp']).replace(' ', 'T')}Z`) + 1_000)));
  withCdr.forEach((call, index) => {
    const endedAt = Date.parse(cdrs[index]!.record.fields.callEndTime!);
    const times = redeliveries.get(call.sessionId) ?? 1;
    for (let time = 0; time < times; time += 1)
      deliveries.push(delivery(cdrPush(call), new Date(endedAt + (arrivalDelay(index) + time * 600) * 1_000)));
  });
  await storeDeliveries(database.db, deliveries, { billingTimeZone });
  // The recorded CDRs' tasks, settled as a fetcher would have: the rest stay pending.
  for (const [status, sessionId] of recordingOutcomes)
    await database.db.updateTable('recordings').set({ status }).where('session_id', '=', sessionId).execute();
  for (const { reasonCode, times } of rejections)
    for (let time = 0; time < times; time += 1)
      await storeRejectedPushes(database.db, [
        {
          deliveryId: randomUUID(),
          stage: 'ingest',
          source: 'http:/voicecall/events',
          receivedAt: new Date(now - (time + 1) * 60_000).toISOString(),
          contentType: 'application/json',
          reasonCode,
          reasonMessage: reasonCode,
          body: Buffer.from('{'),
          bodyTruncated: false,
        },
      ]);
});

afterAll(async () => {
  await database?.drop();
});

async function run(
  key: string,
  range: { from: Date; to: Date } = { from, to },
  selected: Record<string, string> = {},
): Promise<Array<Record<string, unknown>>> {
  const panel = panels.find((candidate) => candidate.key === key);
  if (!panel) throw new Error(`the Calls board has no SQL panel ${key}`);
  const query = expandSqlMacros(panel.rawSql, range.from, range.to, { ...variables, ...selected });
  return (await sql.raw<Record<string, unknown>>(query).execute(database.db)).rows;
}

/** Postgres numerics come back as strings; compare as numbers, to a few digits. */
const num = (value: unknown) => (value === null ? null : Math.round(Number(value) * 1e6) / 1e6);
const minute = (iso: string | null) => Math.floor(Date.parse(iso!) / 60_000) * 60;
const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
const answerRate = (group: CallSummary[]) => {
  const finished = group.filter((call) => call.outcome !== 'in_progress').length;
  return finished === 0 ? null : (100 * group.filter((call) => call.outcome === 'answered').length) / finished;
};
function percentileCont(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (position - low);
}
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
const sortRows = (rows: ReadonlyArray<Record<string, unknown>>) =>
  [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

describe('Calls board SQL on known calls and CDRs', () => {
  it('covers every SQL panel of the board', () => {
    expect(panels.map((panel) => panel.key).sort()).toEqual(
      [
        'Answer rate by business [timeseries]',
        'Answer rate [stat]',
        'Average ring and talk time [stat]',
        'Billable minutes per app_key [barchart]',
        'CDR arrival delay [timeseries]',
        'Calls ended without a CDR (past 7 h) [stat]',
        'Calls ended without a CDR (past 7 h) [table]',
        'Calls per minute by business and outcome [timeseries]',
        'Cost per app_key and currency [table]',
        'Recordings per day: stored, pending, lost [timeseries]',
        'Redelivered CDRs [table]',
        'Rejected pushes and records [table]',
        'Top failure reasons [table]',
      ].sort(),
    );
  });

  it('Calls per minute: each minute, business and outcome counts its calls', async () => {
    const expected = [...groupBy(summaries, (call) => `${minute(call.startedAt)}|${call.business ?? 'unknown'} / ${call.outcome}`)].map(
      ([key, group]) => ({ time: Number(key.split('|')[0]), metric: key.split('|')[1], value: group.length }),
    );
    const rows = (await run('Calls per minute by business and outcome [timeseries]')).map((row) => ({
      time: num(row['time']),
      metric: row['metric'],
      value: num(row['value']),
    }));
    expect(sortRows(rows)).toEqual(sortRows(expected));
    expect(rows.reduce((sum, row) => sum + row.value!, 0)).toBe(calls.length);
  });

  it('Answer rate: answered among finished calls', async () => {
    const [row] = await run('Answer rate [stat]');
    expect(num(row!['answer rate'])).toBe(num(answerRate(summaries)));
    expect(num(row!['answer rate'])).toBeGreaterThan(0);
  });

  it('Average ring and talk time: over all calls, talk over answered ones', async () => {
    const [row] = await run('Average ring and talk time [stat]');
    const ring = summaries.flatMap((call) => (call.ringSeconds === null ? [] : [call.ringSeconds]));
    const talk = summaries
      .filter((call) => call.outcome === 'answered')
      .flatMap((call) => (call.talkSeconds === null ? [] : [call.talkSeconds]));
    expect(ring.length).toBeGreaterThan(0);
    expect(talk.length).toBeGreaterThan(0);
    expect({ ring: num(row!['avg ring time']), talk: num(row!['avg talk time (answered)']) }).toEqual({
      ring: num(mean(ring)),
      talk: num(mean(talk)),
    });
  });

  it('Answer rate by business: per minute and business', async () => {
    const expected = [...groupBy(summaries, (call) => `${minute(call.startedAt)}|${call.business ?? 'unknown'}`)].map(([key, group]) => ({
      time: Number(key.split('|')[0]),
      metric: key.split('|')[1],
      value: num(answerRate(group)),
    }));
    const rows = (await run('Answer rate by business [timeseries]')).map((row) => ({
      time: num(row['time']),
      metric: row['metric'],
      value: num(row['value']),
    }));
    expect(sortRows(rows)).toEqual(sortRows(expected));
  });

  it('Top failure reasons: state codes of calls and failure causes of CDRs, counted', async () => {
    const reasons = [
      ...summaries.flatMap((call) => (call.stateCode ? [`stateCode|${call.stateCode}`] : [])),
      ...cdrs.flatMap(({ record: { fields } }) => [
        ...(fields.ulFailReason ? [`ulFailReason|${fields.ulFailReason}`] : []),
        ...(fields.callOutUnaswRsn !== null && ![0, 16].includes(fields.callOutUnaswRsn)
          ? [`Q.850 callOutUnaswRsn|${fields.callOutUnaswRsn}`]
          : []),
        ...(fields.fwdUnaswRsn !== null && ![0, 16].includes(fields.fwdUnaswRsn) ? [`Q.850 fwdUnaswRsn|${fields.fwdUnaswRsn}`] : []),
      ]),
    ];
    const expected = [...groupBy(reasons, (reason) => reason)]
      .map(([key, group]) => ({ source: key.split('|')[0], code: Number(key.split('|')[1]), calls: group.length }))
      .sort((a, b) => b.calls - a.calls || (a.source! < b.source! ? -1 : a.source! > b.source! ? 1 : a.code - b.code))
      .slice(0, 20);
    expect(expected.length).toBeGreaterThan(1);
    const rows = await run('Top failure reasons [table]');
    expect(rows.map((row) => ({ source: row['source'], code: row['code'], calls: Number(row['calls']) }))).toEqual(expected);
    expect(rows.every((row) => typeof row['description'] === 'string' && row['description'] !== '')).toBe(true);
  });

  it('the app_key and business variables narrow every call and CDR panel, on raw tables and on the rollup alike', async () => {
    const apps = [...new Set(cdrs.map(({ record }) => record.fields.appKey).filter((app): app is string => Boolean(app)))].sort();
    expect(apps.length).toBeGreaterThan(1);
    const oneApp = { app_key: `'${apps[0]!}'` };
    for (const window of [
      { from, to },
      { from: new Date(now - 30 * 86_400_000), to: new Date(now) },
    ]) {
      const minutes = await run('Billable minutes per app_key [barchart]', window, oneApp);
      expect(minutes.map((row) => row['app_key'])).toEqual([apps[0]]);
      const perMinute = await run('Calls per minute by business and outcome [timeseries]', window, { business: "'notify'" });
      expect(perMinute.length).toBeGreaterThan(0);
      expect(perMinute.every((row) => String(row['metric']).startsWith('notify / '))).toBe(true);
      const cost = await run('Cost per app_key and currency [table]', window, { app_key: `'${apps[0]!}', '${apps[1]!}'` });
      expect([...new Set(cost.map((row) => row['app_key']))].sort()).toEqual(apps.slice(0, 2));
    }
    expect(await run('Redelivered CDRs [table]', { from, to }, { app_key: "'no-such-app'" })).toEqual([]);
  });

  it('Billable minutes per app_key: the CDRs’ billable minutes summed per app', async () => {
    const expected = [...groupBy(cdrs, ({ record }) => record.fields.appKey ?? '(none)')].map(([appKey, group]) => ({
      app_key: appKey,
      minutes: group.reduce((sum, { record }) => sum + record.derived.billableMinutes, 0),
    }));
    expect(expected.some((row) => row.minutes > 0)).toBe(true);
    const rows = (await run('Billable minutes per app_key [barchart]')).map((row) => ({
      app_key: row['app_key'],
      minutes: Number(row['billable minutes']),
    }));
    expect(sortRows(rows)).toEqual(sortRows(expected));
    expect(rows.map((row) => row.minutes)).toEqual([...rows.map((row) => row.minutes)].sort((a, b) => b - a));
  });

  it('CDR arrival delay: percentiles of first arrival after the call ended, per minute', async () => {
    const expected = [...groupBy(cdrs, ({ record }) => String(minute(record.fields.callEndTime)))].map(([time, group]) => {
      const delays = group.map(({ delaySeconds }) => delaySeconds);
      return {
        time: Number(time),
        p50: num(percentileCont(delays, 0.5)),
        p95: num(percentileCont(delays, 0.95)),
        max: Math.max(...delays),
      };
    });
    const rows = (await run('CDR arrival delay [timeseries]')).map((row) => ({
      time: num(row['time']),
      p50: num(row['p50']),
      p95: num(row['p95']),
      max: num(row['max']),
    }));
    expect(rows).toEqual(expected.sort((a, b) => a.time - b.time));
  });

  it('Calls ended without a CDR: the calls whose CDR never came, counted and listed', async () => {
    const [stat] = await run('Calls ended without a CDR (past 7 h) [stat]');
    expect(Number(stat!['calls without CDR'])).toBe(withoutCdr.length);
    const rows = await run('Calls ended without a CDR (past 7 h) [table]');
    const expected = summaries
      .slice(0, withoutCdr.length)
      .sort((a, b) => Date.parse(b.endedAt!) - Date.parse(a.endedAt!))
      .map((call) => ({ session_id: call.sessionId, business: call.business, outcome: call.outcome }));
    expect(rows.map((row) => ({ session_id: row['session_id'], business: row['business'], outcome: row['outcome'] }))).toEqual(expected);
  });

  it('Redelivered CDRs: only the CDRs pushed more than once, with their delivery counts', async () => {
    const rows = await run('Redelivered CDRs [table]');
    expect(rows.map((row) => [row['session_id'], row['delivery_count']])).toEqual([...redeliveries].sort((a, b) => b[1] - a[1]));
  });

  it('Recordings per day: each UTC day of first receipt counts its stored, pending, lost and unavailable recordings', async () => {
    expect(recorded.length).toBeGreaterThan(recordingOutcomes.length);
    const statusOf = new Map<string, string>(recordingOutcomes.map(([status, sessionId]) => [sessionId, status]));
    const expected = [...groupBy(recorded, ({ firstSeen }) => new Date(firstSeen).toISOString().slice(0, 10))]
      .map(([day, group]) => {
        const count = (statuses: string[]) =>
          group.filter(({ sessionId }) => statuses.includes(statusOf.get(sessionId) ?? 'pending')).length;
        return {
          time: Date.parse(`${day}T00:00:00Z`),
          stored: count(['stored']),
          pending: count(['pending']),
          lost: count(['failed', 'expired']),
          unavailable: count(['unavailable']),
        };
      })
      .sort((a, b) => a.time - b.time);
    const rows = (await run('Recordings per day: stored, pending, lost [timeseries]')).map((row) => ({
      time: new Date(row['time'] as string).getTime(),
      stored: Number(row['stored']),
      pending: Number(row['pending']),
      lost: Number(row['lost']),
      unavailable: Number(row['unavailable']),
    }));
    expect(rows).toEqual(expected);
  });

  it('Rejected pushes: counted per stage and reason code', async () => {
    const rows = await run('Rejected pushes and records [table]');
    expect(rows.map((row) => ({ stage: row['stage'], reason_code: row['reason_code'], rejections: Number(row['rejections']) }))).toEqual(
      rejections.map(({ reasonCode, times }) => ({ stage: 'ingest', reason_code: reasonCode, rejections: times })),
    );
  });
});

describe('Calls board SQL on a 30-day window: the panels read billing_daily', () => {
  const month = { from: new Date(now - 30 * 86_400_000), to: new Date(now) };
  const dayOf = (call: CallSummary) => billingDayOf(new Date(call.startedAt!), billingTimeZone);
  const dayStart = (day: string) => startOfBillingDay(day, billingTimeZone).getTime() / 1000;
  const minutesBySession = new Map(cdrs.map(({ record }) => [record.sessionId, record.derived.billableMinutes]));

  it("Calls per minute: per billing day, business and outcome, the day's calls per minute", async () => {
    const expected = [...groupBy(summaries, (call) => `${dayOf(call)}|${call.business ?? 'unknown'} / ${call.outcome}`)].map(
      ([key, group]) => ({
        time: dayStart(key.split('|')[0]!),
        metric: key.split('|')[1],
        value: num(group.length / 1440),
      }),
    );
    const rows = (await run('Calls per minute by business and outcome [timeseries]', month)).map((row) => ({
      time: num(row['time']),
      metric: row['metric'],
      value: num(row['value']),
    }));
    expect(sortRows(rows)).toEqual(sortRows(expected));
  });

  it('Answer rate: answered among finished calls of the billing days', async () => {
    const [row] = await run('Answer rate [stat]', month);
    expect(num(row!['answer rate'])).toBe(num(answerRate(summaries)));
  });

  it('Answer rate by business: per billing day and business', async () => {
    const expected = [...groupBy(summaries, (call) => `${dayOf(call)}|${call.business ?? 'unknown'}`)].map(([key, group]) => ({
      time: dayStart(key.split('|')[0]!),
      metric: key.split('|')[1],
      value: num(answerRate(group)),
    }));
    const rows = (await run('Answer rate by business [timeseries]', month)).map((row) => ({
      time: num(row['time']),
      metric: row['metric'],
      value: num(row['value']),
    }));
    expect(sortRows(rows)).toEqual(sortRows(expected));
  });

  it('Billable minutes per app_key: both legs of the calls of the billing days, per app', async () => {
    const expected = [...groupBy(summaries, (call) => call.appKey ?? '(none)')].map(([appKey, group]) => ({
      app_key: appKey,
      minutes: group.reduce((sum, call) => sum + (minutesBySession.get(call.sessionId) ?? 0), 0),
    }));
    const rows = (await run('Billable minutes per app_key [barchart]', month)).map((row) => ({
      app_key: row['app_key'],
      minutes: Number(row['billable minutes']),
    }));
    expect(sortRows(rows)).toEqual(sortRows(expected));
  });

  it('Cost per app_key and currency: every call counted once, costs as the tariffs rate the CDRs', async () => {
    const costOf = (record: CdrRecord) => {
      const callTime = cdrCallTime(record.fields);
      return rateCdr(
        {
          appKey: record.fields.appKey,
          business: record.business?.business ?? null,
          callTime: callTime === null ? null : new Date(callTime),
          callOutLegSeconds: record.derived.callOutLegSeconds,
          fwdLegSeconds: record.derived.fwdLegSeconds,
        },
        tariffs,
      );
    };
    const expectedCost = new Map<string, string>();
    for (const { record } of cdrs) {
      const rating = costOf(record);
      if (rating.totalCost === null) continue;
      const key = `${record.fields.appKey}|${rating.currency}`;
      expectedCost.set(key, addMoney(expectedCost.get(key) ?? '0.000000', rating.totalCost));
    }
    expect(expectedCost.size).toBeGreaterThan(0);
    for (const range of [month, { from, to }]) {
      const rows = await run('Cost per app_key and currency [table]', range);
      expect(rows.reduce((sum, row) => sum + Number(row['calls']), 0)).toBe(calls.length);
      const cost = new Map(
        rows.filter((row) => row['cost'] !== null).map((row) => [`${String(row['app_key'])}|${String(row['currency'])}`, row['cost']]),
      );
      expect(cost).toEqual(expectedCost);
      expect(rows.filter((row) => row['currency'] === '').every((row) => row['cost'] === null)).toBe(true);
    }
  });
});
