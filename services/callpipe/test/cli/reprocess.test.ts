import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businesses } from '@callpipe/events';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  database = await context.createDatabase();
  env = { DATABASE_URL: database.url };
});
afterAll(() => database.drop());

describe('callpipe reprocess', () => {
  it.each(['--help', '-h'])('when given %s, then it prints its usage, naming every business', async (flag) => {
    const result = await callpipe(['reprocess', flag], refusedEnv);
    expectHelp(result, 'callpipe reprocess [options]');
    expect(result.stdout).toContain(`${businesses.slice(0, -1).join(', ')} or ${businesses.at(-1)}`);
  });

  it('when an option or its value is wrong, then it exits 2 with one line on stderr naming the option', async () => {
    expectUsageError(await callpipe(['reprocess', '--bogus'], env), "unknown option '--bogus'");
    expectUsageError(await callpipe(['reprocess', 'everything'], env), "too many arguments for 'reprocess'");
    expectUsageError(await callpipe(['reprocess', '--from', 'yesterday'], env), '--from: must be an ISO time');
    expectUsageError(await callpipe(['reprocess', '--business', 'fax'], env), '--business: ');
    expectUsageError(
      await callpipe(['reprocess', '--from', '2024-06-12T00:00:00Z', '--to', '2024-06-11T00:00:00Z'], env),
      '--from must be before --to',
    );
    expectUsageError(await callpipe(['reprocess', '--from'], env), "option '--from <iso-time>' argument missing");
  });

  it('when given --dry-run --json, then stdout holds the result as one JSON line', async () => {
    const result = await callpipe(['reprocess', '--dry-run', '--json', '--from', '2000-01-01T00:00:00Z'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.endsWith('\n') && result.stdout.split('\n').length).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: true, callsChanged: 0 });
  });

  it('when Postgres cannot be reached, then it exits 1 with `callpipe: <message>` on stderr', async () => {
    const result = await callpipe(['reprocess'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/callpipe' });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^callpipe: /);
  });
});
