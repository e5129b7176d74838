import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
let database: TestDatabase;
beforeAll(async () => {
  database = await context.createDatabase();
});
afterAll(() => database.drop());

describe('callpipe partitions', () => {
  it.each([[['partitions']], [['partitions', 'status']], [['partitions', 'maintain']]])(
    'when %j is given --help or -h, then it prints its usage and exits 0 without reading the env',
    async (command) => {
      expectHelp(await callpipe([...command, '--help'], refusedEnv), `callpipe ${command.join(' ')} [options]`);
      expectHelp(await callpipe([...command, '-h'], refusedEnv), `callpipe ${command.join(' ')} [options]`);
    },
  );

  it('when given an unknown subcommand, an unknown option or an extra argument, then it exits 2 with one line on stderr', async () => {
    const env = { DATABASE_URL: database.url };
    expectUsageError(await callpipe(['partitions', 'shuffle'], env), "unknown command 'shuffle'");
    expectUsageError(await callpipe(['partitions', '--bogus'], env), "unknown option '--bogus'");
    expectUsageError(await callpipe(['partitions', 'maintain', '--bogus'], env), "unknown option '--bogus'");
    expectUsageError(await callpipe(['partitions', 'status', 'now'], env), "too many arguments for 'status'");
  });

  it('when run alone or as status, then it lists the partitions on stdout; maintain says what it did', async () => {
    const env = { DATABASE_URL: database.url, CALLPIPE_PARTITIONS_AHEAD_DAYS: '2' };
    const maintain = await callpipe(['partitions', 'maintain'], env);
    expect(maintain, maintain.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(maintain.stdout).toMatch(/^partitions: \d+ created, 0 dropped, 0 expired calls deleted \(ahead 2 days, kept forever\)\n/);
    const alone = await callpipe(['partitions'], env);
    expect(alone, alone.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(alone.stdout).toMatch(/^cdrs: \d+ daily partition\(s\)/m);
    expect(await callpipe(['partitions', 'status'], env)).toEqual(alone);
  });
});
