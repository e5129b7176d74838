import { describe, expect, it } from 'vitest';
import { ConfigError } from '@callpipe/runtime';
import { parseMigrateEnv } from './env.ts';

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
