import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedDelivery, storeDeliveries, type AcceptedDelivery } from '@callpipe/db';
import { billingDayOf, formatHuaweiTime, parsePush } from '@callpipe/events';
import { demoAppKeys, demoBusinessByAppKey, UNMAPPED_APP_KEY, type FeeRecord, type Push, type StatusPush } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

// Calls whose CDRs never come, come late, come before their status events, come twice, come alone,
// or disagree with the status events, written through the real store; then `callpipe reconcile`
// on them, as a process.

const HOUR = 3_600_000;
const options = { businessByAppKey: demoBusinessByAppKey };
const context = testContext();
let database: TestDatabase;
let env: Record<string, string>;

const now = Date.now();
/** A whole Beijing billing day, three days ago: every call on it ended long past the horizon. */
const day = billingDayOf(new Date(now - 3 * 24 * HOUR), 'Asia/Shanghai');
/** Beijing wall time on `day` as a UTC instant (Beijing has no DST: UTC+8). */
const beijing = (hhmm: string) => new Date(Date.parse(`${day}T${hhmm}:00+08:00`));
const plus = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000);
const t = (at: Date) => formatHuaweiTime(at);

interface CallSpec {
  sessionId: string;
  startAt: Date;
  answered?: boolean;
  talkSeconds?: number;
  appKey?: string;
  collect?: boolean;
}

/** A voice notification call: its status pushes and its CDR, which tell the same story unless changed. */
function notifyCall(spec: CallSpec): { status: StatusPush[]; cdr: FeeRecord; endAt: Date } {
  const { sessionId, startAt, answered = true, talkSeconds = 60 } = spec;
  const leg = { caller: '+8657100000001', called: '+8613800000001' };
  const answerAt = plus(startAt, 5);
  const endAt = plus(startAt, 5 + talkSeconds);
  const push = (eventType: string, at: Date, extra: object = {}): StatusPush => ({
    eventType,
    statusInfo: { sessionId, timestamp: t(at), ...leg, ...extra },
  });
  const status = [
    push('callout', startAt),
    push('alerting', plus(startAt, 2)),
    ...(answered ? [push('answer', answerAt)] : []),
    ...(spec.collect ? [{ eventType: 'collectInfo', statusInfo: { sessionId, timestamp: t(plus(startAt, 20)), digitInfo: '1' } }] : []),
    push('disconnect', endAt, { stateCode: answered ? 0 : 8101 }),
  ];
  const cdr: FeeRecord = {
    direction: 0,
    spId: 'sp_demo_0001',
    appKey: spec.appKey ?? demoAppKeys.notify,
    sessionId,
    bindNum: '+8657188880000',
    callerNum: leg.caller,
    calleeNum: leg.called,
    serviceType: '001',
    callOutStartTime: t(startAt),
    callOutAlertingTime: t(plus(startAt, 2)),
    ...(answered ? { callOutAnswerTime: t(answerAt) } : { failTime: t(endAt), ulFailReason: 518 }),
    callEndTime: t(endAt),
  };
  return { status, cdr, endAt };
}

function delivery(push: Push, receivedAt: Date): AcceptedDelivery {
  const verdict = parsePush(JSON.stringify(push), options);
  if (!verdict.ok) throw new Error(verdict.rejection.message);
  return acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: receivedAt.toISOString() }, verdict);
}
const fee = (...records: FeeRecord[]): Push => ({ eventType: 'fee', feeLst: records });
const statusDeliveries = (call: { status: StatusPush[] }) =>
  call.status.map((push) => delivery(push, plus(new Date(Date.parse(`${String(push.statusInfo['timestamp']).replace(' ', 'T')}Z`)), 1)));

// The calls, by what happens to their CDR.
const never = notifyCall({ sessionId: 'never-1', startAt: beijing('10:00') });
const neverVerify = notifyCall({ sessionId: 'never-2', startAt: beijing('11:00') });
const lateArrived = notifyCall({ sessionId: 'late-arrived', startAt: beijing('12:00') });
const stillInsideHorizon = notifyCall({ sessionId: 'inside-horizon', startAt: new Date(now - 2 * HOUR) });
const cdrFirst = notifyCall({ sessionId: 'cdr-first', startAt: beijing('13:00') });
const twice = notifyCall({ sessionId: 'cdr-twice', startAt: beijing('14:00') });
const alone = notifyCall({ sessionId: 'cdr-alone', startAt: beijing('15:00'), appKey: demoAppKeys.verify });
const answerMismatch = notifyCall({ sessionId: 'disagree-answered', startAt: beijing('16:00') });
const endMismatch = notifyCall({ sessionId: 'disagree-end', startAt: beijing('17:00') });
const businessMismatch = notifyCall({ sessionId: 'disagree-business', startAt: beijing('18:00'), collect: true, appKey: UNMAPPED_APP_KEY });
const otherApp = notifyCall({ sessionId: 'other-app', startAt: beijing('19:00'), appKey: demoAppKeys.verify });
/** 01:30 in Beijing on the day after `day`, 17:30 UTC on `day`: another billing day in Beijing than in UTC. */
const afterMidnight = notifyCall({ sessionId: 'after-midnight', startAt: new Date(Date.parse(`${day}T17:30:00Z`)) });

beforeAll(async () => {
  database = await context.createDatabase();
  env = { DATABASE_URL: database.url };
  const writes: AcceptedDelivery[][] = [
    [...statusDeliveries(never), ...statusDeliveries(neverVerify)],
    [...statusDeliveries(lateArrived), delivery(fee(lateArrived.cdr), plus(lateArrived.endAt, 5 * 3600))],
    statusDeliveries(stillInsideHorizon),
    // The CDR is stored in a batch of its own before any status event of its call.
    [delivery(fee(cdrFirst.cdr), plus(cdrFirst.endAt, 10))],
    statusDeliveries(cdrFirst),
    [...statusDeliveries(twice), delivery(fee(twice.cdr), plus(twice.endAt, 10))],
    [delivery(fee(twice.cdr), plus(twice.endAt, 3610))],
    [delivery(fee(alone.cdr), plus(alone.endAt, 10))],
    [...statusDeliveries(answerMismatch), delivery(fee({ ...answerMismatch.cdr, callOutAnswerTime: '' }), plus(answerMismatch.endAt, 10))],
    [
      ...statusDeliveries(endMismatch),
      delivery(fee({ ...endMismatch.cdr, callEndTime: t(plus(endMismatch.endAt, 6)) }), plus(endMismatch.endAt, 10)),
    ],
    [
      ...statusDeliveries(businessMismatch),
      delivery(fee({ ...businessMismatch.cdr, serviceType: '002' }), plus(businessMismatch.endAt, 10)),
    ],
    [...statusDeliveries(otherApp), delivery(fee(otherApp.cdr), plus(otherApp.endAt, 10))],
    [...statusDeliveries(afterMidnight), delivery(fee(afterMidnight.cdr), plus(afterMidnight.endAt, 10))],
  ];
  for (const batch of writes) await storeDeliveries(database.db, batch);
});
afterAll(() => database.drop());

const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 24 * HOUR).toISOString().slice(0, 10);
const tomorrow = billingDayOf(new Date(now + 24 * HOUR), 'Asia/Shanghai');

interface Report {
  period: { from: string; to: string; timeZone: string; horizon: string };
  apps: Array<{
    appKey: string | null;
    day: string;
    started: number;
    ended: number;
    cdrs: number;
    missingCdrs: number;
    cdrsWithoutStatus: number;
    disagreements: number;
  }>;
  missingCdrs: Array<{ sessionId: string; appKey: string | null; business: string | null; endedAt: string }>;
  cdrsWithoutStatus: Array<{ sessionId: string }>;
  disagreements: Array<{ sessionId: string; field: string; status: unknown; cdr: unknown }>;
}

async function reconcileJson(
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await callpipe(['reconcile', '--format', 'json', ...args], { ...env, ...extraEnv });
  expect(result.stdout.split('\n').length, result.stderr).toBe(2);
  return { code: result.code, report: JSON.parse(result.stdout) as Report, stderr: result.stderr };
}

describe('callpipe reconcile', () => {
  it.each(['--help', '-h'])('when given %s, then it prints its usage and connects nowhere', async (flag) => {
    const result = await callpipe(['reconcile', flag], refusedEnv);
    expectHelp(result, 'callpipe reconcile [options]');
    expect(result.stdout).toContain('--horizon <duration>');
  });

  it('when an option is wrong, then it exits 2 with one line naming it', async () => {
    const period = ['--from', day, '--to', tomorrow];
    expectUsageError(await callpipe(['reconcile', '--to', tomorrow], env), "required option '--from <time>' not specified");
    expectUsageError(await callpipe(['reconcile', '--from', 'yesterday', '--to', tomorrow], env), '--from: "yesterday" is not a time');
    expectUsageError(await callpipe(['reconcile', '--from', day, '--to', '2026-02-30'], env), '--to: "2026-02-30" is not a time');
    expectUsageError(await callpipe(['reconcile', '--from', tomorrow, '--to', day], env), 'must be before --to');
    expectUsageError(await callpipe(['reconcile', ...period, '--horizon', '7'], env), '--horizon: "7" is not a duration');
    expectUsageError(
      await callpipe(['reconcile', ...period, '--horizon', '0s'], env),
      '--horizon: "0s" is not a duration between 1s and 31d',
    );
    expectUsageError(await callpipe(['reconcile', ...period, '--format', 'xml'], env), '--format: "xml" is not one of table, csv, json');
    expectUsageError(await callpipe(['reconcile', ...period, '--app-key', ' '], env), '--app-key: must not be empty');
    expectUsageError(await callpipe(['reconcile', ...period, 'extra'], env), "too many arguments for 'reconcile'");
  });

  it('when CDRs never came, came late, came first, came twice, came alone or disagree, then --format json says exactly which', async () => {
    const { code, report, stderr } = await reconcileJson(['--from', day, '--to', tomorrow]);
    expect(code).toBe(1);
    expect(stderr).toContain('reconcile: 2 calls ended without a CDR past 7h, 1 CDRs without status events, 3 disagreements');
    expect(report.period).toMatchObject({ timeZone: 'Asia/Shanghai', horizon: '7h', from: beijing('00:00').toISOString() });
    // Never came: listed, with what is known of them (no app key: only the CDR names the app).
    expect(report.missingCdrs).toEqual([
      { sessionId: 'never-1', appKey: null, business: null, endedAt: never.endAt.toISOString() },
      { sessionId: 'never-2', appKey: null, business: null, endedAt: neverVerify.endAt.toISOString() },
    ]);
    // Came alone: a CDR without any status event.
    expect(report.cdrsWithoutStatus.map((call) => call.sessionId)).toEqual(['cdr-alone']);
    // Each kind of disagreement, and nothing for the CDR that came first or twice.
    expect(report.disagreements).toEqual([
      { sessionId: 'disagree-answered', field: 'answered', status: plus(answerMismatch.endAt, -60).toISOString(), cdr: null },
      {
        sessionId: 'disagree-end',
        field: 'endedAt',
        status: endMismatch.endAt.toISOString(),
        cdr: plus(endMismatch.endAt, 6).toISOString(),
      },
      { sessionId: 'disagree-business', field: 'business', status: 'notify', cdr: 'click2call' },
    ]);
    const notifyDay = report.apps.find((row) => row.appKey === demoAppKeys.notify && row.day === day);
    // late-arrived, cdr-first, cdr-twice (once), disagree-answered, disagree-end.
    expect(notifyDay).toEqual({
      appKey: demoAppKeys.notify,
      day,
      started: 5,
      ended: 5,
      cdrs: 5,
      missingCdrs: 0,
      cdrsWithoutStatus: 0,
      disagreements: 2,
    });
    const unknownDay = report.apps.find((row) => row.appKey === null && row.day === day);
    expect(unknownDay).toEqual({
      appKey: null,
      day,
      started: 2,
      ended: 2,
      cdrs: 0,
      missingCdrs: 2,
      cdrsWithoutStatus: 0,
      disagreements: 0,
    });
    // Still inside the horizon: ended, no CDR yet, not missing.
    const today = report.apps.filter((row) => row.appKey === null && row.day !== day);
    expect(today.reduce((sum, row) => sum + row.ended - row.cdrs, 0)).toBe(1);
    expect(today.reduce((sum, row) => sum + row.missingCdrs, 0)).toBe(0);
    const totals = report.apps.reduce((sum, row) => sum + row.cdrs, 0);
    expect(totals).toBe(9);
  });

  it('when the horizon is shorter than the wait, then the call inside the default horizon is missing too', async () => {
    const { report } = await reconcileJson(['--from', day, '--to', tomorrow, '--horizon', '1h']);
    expect(report.missingCdrs.map((call) => call.sessionId)).toEqual(['never-1', 'never-2', 'inside-horizon']);
  });

  it('when billing days are in UTC rather than Beijing, then a call after Beijing midnight moves to the earlier day', async () => {
    const beijingDays = await reconcileJson(['--from', day, '--to', tomorrow]);
    const utcDays = await reconcileJson(['--from', day, '--to', tomorrow], { CALLPIPE_BILLING_TIME_ZONE: 'UTC' });
    const rowOf = (report: Report, d: string) => report.apps.find((row) => row.appKey === demoAppKeys.notify && row.day === d);
    expect(afterMidnight.endAt.toISOString().slice(0, 10)).toBe(day);
    expect(rowOf(beijingDays.report, nextDay(day))).toMatchObject({ started: 1, ended: 1, cdrs: 1 });
    expect(rowOf(utcDays.report, day)).toMatchObject({ started: 6, ended: 6, cdrs: 6 });
    expect(utcDays.report.period).toMatchObject({ timeZone: 'UTC', from: `${day}T00:00:00.000Z` });
  });

  it('when given --app-key, then other apps are left out and calls whose app is unknown are kept', async () => {
    const { code, report } = await reconcileJson(['--from', day, '--to', tomorrow, '--app-key', demoAppKeys.notify]);
    expect(code).toBe(1);
    expect(new Set(report.apps.map((row) => row.appKey))).toEqual(new Set([demoAppKeys.notify, null]));
    expect(report.missingCdrs.map((call) => call.sessionId)).toEqual(['never-1', 'never-2']);
    expect(report.cdrsWithoutStatus).toEqual([]);
    const { report: verify } = await reconcileJson(['--from', day, '--to', tomorrow, '--app-key', demoAppKeys.verify]);
    expect(verify.cdrsWithoutStatus.map((call) => call.sessionId)).toEqual(['cdr-alone']);
    expect(verify.disagreements).toEqual([]);
  });

  it('when the period holds no gap, then it exits 0', async () => {
    const result = await callpipe(['reconcile', '--from', `${day}T12:00`, '--to', `${day}T13:00`], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('no CDR is missing');
  });

  it('when the table is asked for, then it shows the days, the lists and what to do', async () => {
    const result = await callpipe(['reconcile', '--from', day, '--to', tomorrow], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^${demoAppKeys.notify}\\s+${day}\\s+5\\s+5\\s+5\\s+0\\s+0\\s+2$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^\\(unknown\\)\\s+${day}\\s+2\\s+2\\s+0\\s+2\\s+0\\s+0$`, 'm'));
    expect(result.stdout).toContain('calls ended without a CDR (2):');
    expect(result.stdout).toContain('2 CDRs missing: send the list to Huawei support (--format csv)');
  });

  it('when support re-sends the missing CDRs and the file is replayed, then reconcile comes out clean', async () => {
    const csv = await callpipe(['reconcile', '--from', day, '--to', nextDay(day), '--format', 'csv'], env);
    expect(csv.code).toBe(1);
    expect(csv.stdout).toBe(
      ['sessionId,appKey,business,callEndTimeUtc', `never-1,,,${t(never.endAt)}`, `never-2,,,${t(neverVerify.endAt)}`, ''].join('\n'),
    );
    const dir = mkdtempSync(join(tmpdir(), 'callpipe-reconcile-'));
    const file = join(dir, 'resent-cdrs.json');
    writeFileSync(file, JSON.stringify(fee(never.cdr, { ...neverVerify.cdr, appKey: demoAppKeys.verify })));
    const replay = await callpipe(['replay', file], env);
    expect(replay.code, replay.stderr).toBe(0);
    const after = await reconcileJson(['--from', day, '--to', nextDay(day)]);
    expect(after.code).toBe(0);
    expect(after.report.missingCdrs).toEqual([]);
  });
});
