import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBusinessByAppKey, generateCalls } from '@callpipe/fixtures';
import { DEFAULT_BATCH_SIZE, formats } from '@callpipe/replay';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { callpipe, expectHelp, expectUsageError, refusedEnv } from '../support/cli.ts';

const context = testContext();
let database: TestDatabase;
let directory: string;
let file: string;
let env: Record<string, string>;

beforeAll(async () => {
  database = await context.createDatabase();
  directory = await mkdtemp(join(tmpdir(), 'callpipe-cli-replay-'));
  file = join(directory, 'cdrs.jsonl');
  await writeFile(
    file,
    generateCalls(7, 2)
      .map((call) => `${JSON.stringify(call.cdr)}\n`)
      .join(''),
  );
  env = {
    DATABASE_URL: database.url,
    CALLPIPE_APP_BUSINESS: [...demoBusinessByAppKey].map(([appKey, business]) => `${appKey}=${business}`).join(','),
  };
});
afterAll(async () => {
  await database.drop();
  await rm(directory, { recursive: true, force: true });
});

function jsonLines(stdout: string): { type: string; status?: string }[] {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => JSON.parse(line) as { type: string; status?: string });
}

describe('callpipe replay', () => {
  it.each(['--help', '-h'])('when given %s, then it prints its usage, naming every format and the default batch size', async (flag) => {
    const result = await callpipe(['replay', flag], refusedEnv);
    expectHelp(result, 'callpipe replay [options] <file...>');
    expect(result.stdout.replace(/\s+/g, ' ')).toContain(`${formats.slice(0, -1).join(', ')} or ${formats.at(-1)}`);
    expect(result.stdout).toContain(`(default ${DEFAULT_BATCH_SIZE})`);
  });

  it('when an option, its value or the files are wrong, then it exits 2 with one line on stderr naming the mistake', async () => {
    expectUsageError(await callpipe(['replay'], env), "missing required argument 'file'");
    expectUsageError(await callpipe(['replay', '--jsn', file], env), "unknown option '--jsn' (Did you mean --json?)");
    expectUsageError(await callpipe(['replay', '--rate', 'abc', file], env), '--rate: ');
    expectUsageError(await callpipe(['replay', '--format', 'xml', file], env), '--format: ');
    expectUsageError(await callpipe(['replay', '--batch-size', '0', file], env), '--batch-size: ');
    expectUsageError(await callpipe(['replay', file, join(directory, 'missing.json')], env), 'replay: ');
  });

  it('when given --json, then stdout holds only JSON lines: a record each, then the summary', async () => {
    const dryRun = await callpipe(['replay', '--dry-run', '--json', file], env);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    const lines = jsonLines(dryRun.stdout);
    expect(lines.map((line) => [line.type, line.status])).toEqual([
      ['record', 'new'],
      ['record', 'new'],
      ['summary', undefined],
    ]);

    const written = await callpipe(['replay', '--json', '--rate', '1000', file], env);
    expect(written.code, written.stderr).toBe(0);
    const summary = jsonLines(written.stdout).at(-1) as { type: string; timings?: Record<string, unknown> };
    expect(summary.type).toBe('summary');
    expect(Object.keys(summary.timings ?? {}).sort()).toEqual(['parseSeconds', 'readSeconds', 'storeSeconds', 'storeWaitSeconds']);
    expect(Object.values(summary.timings ?? {}).every((seconds) => typeof seconds === 'number' && seconds >= 0)).toBe(true);
    const again = await callpipe(['replay', '--dry-run', '--json', file], env);
    expect(jsonLines(again.stdout).map((line) => line.status)).toEqual(['stored_identical', 'stored_identical', undefined]);
  });

  it('when it writes, then the summary on stdout says where the time went: reading, parsing and storing', async () => {
    const result = await callpipe(['replay', file], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^ {2}time: read \d+\.\d s, parse \d+\.\d s, store \d+\.\d s \(batches overlap reading; reading waited \d+\.\d s for the database\)$/m,
    );
  });
});
