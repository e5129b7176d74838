import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { describeUnknownVariable, envVariableNames, parseEnv, readableFromFile, unknownVariables } from './env.ts';

const schema = z.object({
  DATABASE_URL: readableFromFile(z.string().default('postgres://default')),
  WORKER_CONCURRENCY: z.coerce.number().default(1),
  LOG_LEVEL: z.string().default('info'),
});
const dir = mkdtempSync(join(tmpdir(), 'callpipe-env-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('parseEnv with _FILE forms', () => {
  it('when <NAME>_FILE names a file, then its content is the value, one trailing newline dropped', () => {
    expect(parseEnv(schema, { DATABASE_URL_FILE: file('url', 'postgres://u:s3cret@db/callpipe\n') }).DATABASE_URL).toBe(
      'postgres://u:s3cret@db/callpipe',
    );
    expect(parseEnv(schema, { DATABASE_URL_FILE: file('crlf', 'postgres://db\r\n') }).DATABASE_URL).toBe('postgres://db');
  });

  it('when both forms are set, then it refuses naming both', () => {
    expect(() => parseEnv(schema, { DATABASE_URL: 'postgres://a', DATABASE_URL_FILE: file('both', 'postgres://b') })).toThrow(
      'DATABASE_URL_FILE: set DATABASE_URL or DATABASE_URL_FILE, not both',
    );
  });

  it('when the file cannot be read, then it refuses with the variable, the path and the reason, never a value', () => {
    const missing = join(dir, 'missing');
    expect(() => parseEnv(schema, { DATABASE_URL_FILE: missing })).toThrow(ConfigError);
    expect(() => parseEnv(schema, { DATABASE_URL_FILE: missing })).toThrow(`DATABASE_URL_FILE: ${missing} cannot be read (ENOENT)`);
  });

  it('when a variable is not marked readable from a file, then its _FILE form is not read', () => {
    expect(parseEnv(schema, { LOG_LEVEL_FILE: file('level', 'debug') }).LOG_LEVEL).toBe('info');
  });
});

describe('unknownVariables', () => {
  it("when variables with callpipe's prefixes are not in any schema, then each is named with the nearest known one", () => {
    const env = {
      WORKER_CONCURENCY: '8',
      CALLPIPE_SOMETHING_ELSE: 'x',
      DATABASE_URL_FILE: '/run/secrets/db',
      WORKER_CONCURRENCY: '4',
      PATH: '/bin',
      HOME: '/root',
    };
    expect(unknownVariables(env, [schema])).toEqual([
      { name: 'CALLPIPE_SOMETHING_ELSE', suggestion: null },
      { name: 'WORKER_CONCURENCY', suggestion: 'WORKER_CONCURRENCY' },
    ]);
    expect(unknownVariables(env, [schema], ['CALLPIPE_SOMETHING_ELSE'])).toHaveLength(1);
    expect(describeUnknownVariable({ name: 'WORKER_CONCURENCY', suggestion: 'WORKER_CONCURRENCY' })).toBe(
      'WORKER_CONCURENCY is not a variable callpipe reads (did you mean WORKER_CONCURRENCY?)',
    );
  });

  it('when a schema marks a variable readable from a file, then its _FILE form is a known name', () => {
    expect(envVariableNames(schema)).toEqual(['DATABASE_URL', 'DATABASE_URL_FILE', 'WORKER_CONCURRENCY', 'LOG_LEVEL']);
  });
});
