import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, envVariableNames } from '@callpipe/runtime';
import { knownEnvSchemas, parseMigrateEnv, unknownCallpipeVariables } from './env.ts';

describe('callpipe migrate env', () => {
  it('when nothing is set, then the partition settings match the worker defaults', () => {
    expect(parseMigrateEnv({})).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/callpipe',
      CALLPIPE_RETENTION_DAYS: 0,
      CALLPIPE_PARTITIONS_AHEAD_DAYS: 7,
      CALLPIPE_GRAFANA_DB_USER: 'callpipe_grafana',
      CALLPIPE_GRAFANA_DB_PASSWORD: '',
    });
  });

  it.each([
    [{ CALLPIPE_RETENTION_DAYS: '1' }, 'CALLPIPE_RETENTION_DAYS: 0 keeps everything'],
    [{ CALLPIPE_RETENTION_DAYS: 'a year' }, 'CALLPIPE_RETENTION_DAYS'],
    [{ CALLPIPE_PARTITIONS_AHEAD_DAYS: '120' }, 'CALLPIPE_PARTITIONS_AHEAD_DAYS'],
    [{ CALLPIPE_GRAFANA_DB_PASSWORD: 'short' }, 'CALLPIPE_GRAFANA_DB_PASSWORD: at least 12 characters'],
    [{ CALLPIPE_GRAFANA_DB_USER: 'Grafana; DROP' }, 'CALLPIPE_GRAFANA_DB_USER: a lower-case Postgres role name'],
  ])('when given %j, then it refuses with a message naming the variable', (env, message) => {
    expect(() => parseMigrateEnv(env)).toThrow(ConfigError);
    expect(() => parseMigrateEnv(env)).toThrow(message);
  });
});

describe('the variables callpipe knows', () => {
  it("when README's configuration table is read, then it documents exactly the variables the env schemas read", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### Redis: one server'));
    const documented = new Set(
      section
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]!)),
    );
    const known = new Set(knownEnvSchemas.flatMap(envVariableNames));
    expect([...known].filter((name) => !documented.has(name)).sort()).toEqual([]);
    expect([...documented].filter((name) => !known.has(name)).sort()).toEqual([]);
  });

  it('when a variable is misspelt, then unknownCallpipeVariables names it with the intended one', () => {
    expect(unknownCallpipeVariables({ INGEST_SPOOL_DIRECTORY: '/x', CALLPIPE_NODE_VERSION: '24', INGEST_PORT: '1' })).toEqual([
      { name: 'INGEST_SPOOL_DIRECTORY', suggestion: null },
    ]);
    expect(unknownCallpipeVariables({ CALLPIPE_APP_BUSSINESS: 'a=notify' })).toEqual([
      { name: 'CALLPIPE_APP_BUSSINESS', suggestion: 'CALLPIPE_APP_BUSINESS' },
    ]);
  });
});
