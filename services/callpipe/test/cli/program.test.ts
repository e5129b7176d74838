import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const commands = [
  'migrate',
  'ingest',
  'worker',
  'start',
  'status',
  'partitions',
  'archive',
  'dead-letters',
  'replay',
  'reprocess',
  'reconcile',
  'export',
  'simulate',
  'spool',
  'rejected',
  'tariffs',
  'rollups',
  'recordings',
  'help',
];

describe('callpipe', () => {
  it.each(['--version', '-V'])('when given %s, then it prints the package version and exits 0', async (flag) => {
    expect(await callpipe([flag], refusedEnv)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each(['--help', '-h', 'help'])('when given %s, then it lists every command on stdout and exits 0', async (flag) => {
    const result = await callpipe([flag], refusedEnv);
    expectHelp(result, 'callpipe [options] [command]');
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it.each([
    [['migrate']],
    [['migrate', 'status']],
    [['status']],
    [['replay']],
    [['dead-letters']],
    [['dead-letters', 'list']],
    [['dead-letters', 'retry']],
    [['dead-letters', 'remove']],
    [['partitions', 'maintain']],
    [['archive', 'verify']],
    [['tariffs', 'set']],
    [['rollups', 'rebuild']],
    [['recordings', 'fetch']],
  ])('when asked for help %j, then it prints what the command prints for --help', async (names) => {
    const direct = await callpipe([...names, '--help'], refusedEnv);
    expectHelp(direct, `callpipe ${names.join(' ')} [options]`);
    expect(await callpipe(['help', ...names], refusedEnv)).toEqual(direct);
  });

  it('when asked for help on help, then it prints the usage of help', async () => {
    expectHelp(await callpipe(['help', '--help'], refusedEnv), 'callpipe help [options] [command...]');
  });

  it('when given an unknown command, directly or to help, then it exits 2 with one line on stderr', async () => {
    expectUsageError(await callpipe(['migrat'], refusedEnv), "unknown command 'migrat' (Did you mean migrate?)");
    expectUsageError(await callpipe(['help', 'bogus'], refusedEnv), "unknown command 'bogus'");
    expectUsageError(await callpipe(['--bogus'], refusedEnv), "unknown option '--bogus'");
  });

  it('when given no command, then it prints the usage on stderr and exits 2', async () => {
    const result = await callpipe([], refusedEnv);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^Usage: callpipe \[options\] \[command\]\n/);
  });
});
