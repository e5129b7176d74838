import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptedDelivery, readBillingDaily, storeDeliveries } from '@callpipe/db';
import { parsePush } from '@callpipe/events';
import { demoAppKeys, demoBusinessByAppKey, generateCalls } from '@callpipe/fixtures';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await context.createDatabase();
  env = {
    DATABASE_URL: database.url,
    CALLPIPE_APP_BUSINESS: [...demoBusinessByAppKey].map(([key, business]) => `${key}=${business}`).join(','),
  };
});
afterAll(() => database.drop());

const setArgs = [
  'tariffs',
  'set',
  '--business',
  'click2call',
  '--leg',
  'call-out',
  '--price',
  '0.06',
  '--currency',
  'CNY',
  '--valid-from',
  '2024-01-01',
];

describe('callpipe tariffs and rollups', () => {
  it.each([
    [['tariffs', '--help'], 'callpipe tariffs [options] [command]'],
    [['tariffs', 'set', '--help'], 'callpipe tariffs set [options]'],
    [['tariffs', 'list', '-h'], 'callpipe tariffs list [options]'],
    [['rollups', 'rebuild', '--help'], 'callpipe rollups rebuild [options]'],
  ])('when given %j, then it prints its usage and connects nowhere', async (args, usage) => {
    expectHelp(await callpipe(args, refusedEnv), usage);
  });

  it('when an option of tariffs set is wrong or missing, then it exits 2 with one line naming it', async () => {
    const without = (flag: string) => {
      const at = setArgs.indexOf(flag);
      return [...setArgs.slice(0, at), ...setArgs.slice(at + 2)];
    };
    const replaced = (flag: string, value: string) => setArgs.map((arg, i) => (setArgs[i - 1] === flag ? value : arg));
    expectUsageError(await callpipe(without('--business'), env), '--app-key: give exactly one of --app-key and --business');
    expectUsageError(await callpipe([...setArgs, '--app-key', 'K'], env), '--app-key: give exactly one of --app-key and --business');
    expectUsageError(await callpipe(replaced('--business', 'fax'), env), '--business: ');
    expectUsageError(await callpipe(replaced('--leg', 'both'), env), '--leg: must be call-out or forwarded');
    expectUsageError(
      await callpipe(
        replaced('--business', 'notify').map((a) => (a === 'call-out' ? 'forwarded' : a)),
        env,
      ),
      '--leg forwarded: only click-to-call',
    );
    expectUsageError(await callpipe(replaced('--price', '-1'), env), '--price: must be an amount ≥ 0 with at most 6 decimals');
    expectUsageError(await callpipe(replaced('--price', '0.0000001'), env), '--price: must be an amount');
    expectUsageError(await callpipe(without('--price'), env), '--price: is required');
    expectUsageError(await callpipe(replaced('--currency', 'yuan'), env), '--currency: must be an ISO 4217 code');
    expectUsageError(await callpipe(replaced('--valid-from', 'soon'), env), '--valid-from: must be a day');
    expectUsageError(await callpipe(replaced('--valid-from', '2024-02-30'), env), '--valid-from: must be a day');
    expectUsageError(await callpipe(['tariffs', 'list', 'all'], env), "too many arguments for 'list'");
  }, 180_000);

  it('when a tariff is set after CDRs were stored, then they stay unrated until reprocess re-rates them, and billing_daily follows', async () => {
    const [call] = generateCalls(3, 40).filter((one) => one.business === 'click2call' && one.cdr['fwdAnswerTime']);
    const verdict = parsePush(JSON.stringify({ eventType: 'fee', feeLst: [call!.cdr] }), { businessByAppKey: demoBusinessByAppKey });
    if (!verdict.ok) throw new Error(verdict.rejection.message);
    await storeDeliveries(database.db, [
      acceptedDelivery({ deliveryId: randomUUID(), source: 'test', receivedAt: '2024-06-11T05:00:00Z' }, verdict),
    ]);

    const set = await callpipe(setArgs, env);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toMatch(
      /^tariffs: added #\d+ {2}business click2call {2}call-out {2}0\.060000 CNY\/started minute {2}from 2023-12-31T16:00:00\.000Z\n$/,
    );
    expect(set.stderr).toContain('callpipe reprocess --from 2023-12-31T16:00:00.000Z --business click2call');
    const fwd = await callpipe([...setArgs.map((a) => (a === 'call-out' ? 'forwarded' : a === '0.06' ? '0.07' : a)), '--json'], env);
    expect(JSON.parse(fwd.stdout)).toMatchObject({ business: 'click2call', leg: 'forwarded', price: '0.070000', currency: 'CNY' });
    const changed = await callpipe(
      setArgs.map((a) => (a === '0.06' ? '0.05' : a)),
      env,
    );
    expect(changed.stdout).toMatch(/^tariffs: changed .* 0\.050000 CNY/);

    const list = await callpipe(['tariffs', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { leg: string; price: string }),
    ).toEqual([
      expect.objectContaining({ leg: 'call-out', price: '0.050000' }),
      expect.objectContaining({ leg: 'forwarded', price: '0.070000' }),
    ]);
    expect(list.stderr).toBe('2 tariffs\n');

    const before = await database.db.selectFrom('cdrs').select(['total_cost', 'call_out_minutes', 'fwd_minutes']).executeTakeFirstOrThrow();
    expect(before.total_cost).toBeNull();
    const reprocess = await callpipe(['reprocess', '--business', 'click2call'], env);
    expect(reprocess.code, reprocess.stderr).toBe(0);
    expect(reprocess.stdout).toContain('cdrs.total_cost 1');
    const after = await database.db.selectFrom('cdrs').select(['total_cost', 'cost_currency']).executeTakeFirstOrThrow();
    const expected = (before.call_out_minutes! * 0.05 + before.fwd_minutes! * 0.07).toFixed(6);
    expect(after).toEqual({ total_cost: expected, cost_currency: 'CNY' });
    const [day] = await readBillingDaily(database.db);
    expect(day).toMatchObject({ app_key: demoAppKeys.click2call, currency: 'CNY', cost: expected, calls: '1' });

    const rebuild = await callpipe(['rollups', 'rebuild', '--json'], env);
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toMatchObject({ contributions: 1, groups: 1, timeZone: 'Asia/Shanghai' });
    expect(await readBillingDaily(database.db)).toEqual([day]);
  }, 180_000);
});
