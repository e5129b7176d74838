import { describe, expect, it } from 'vitest';
import { formatPostgresUrl, parsePostgresUrl, postgresUrlProblem, singleHostUrl, withDatabase } from './postgres-url.ts';

describe('Postgres URLs', () => {
  it('reads a single-host URL as node-postgres does, with the default port', () => {
    const url = parsePostgresUrl('postgres://postgres@127.0.0.1/callpipe');
    expect(url).toMatchObject({
      hosts: [{ host: '127.0.0.1', port: 5432 }],
      database: 'callpipe',
      targetSessionAttrs: 'any',
      userInfo: 'postgres',
    });
    expect(singleHostUrl(url, url.hosts[0]!)).toBe('postgres://postgres@127.0.0.1:5432/callpipe');
  });

  it('reads libpq multi-host URLs with target_session_attrs, keeping credentials and other parameters', () => {
    const url = parsePostgresUrl(
      'postgresql://app:s%40cret@db-a:5433,[::1]:5434,db-c/call%20pipe?sslmode=disable&target_session_attrs=read-write&application_name=x',
    );
    expect(url.hosts).toEqual([
      { host: 'db-a', port: 5433 },
      { host: '::1', port: 5434 },
      { host: 'db-c', port: 5432 },
    ]);
    expect(url.targetSessionAttrs).toBe('read-write');
    expect(url.database).toBe('call pipe');
    expect(singleHostUrl(url, url.hosts[1]!)).toBe('postgresql://app:s%40cret@[::1]:5434/call%20pipe?sslmode=disable&application_name=x');
    expect(singleHostUrl(withDatabase(url, 'postgres'), url.hosts[0]!)).toBe(
      'postgresql://app:s%40cret@db-a:5433/postgres?sslmode=disable&application_name=x',
    );
  });

  it('formats a URL back with every host, for another database', () => {
    const text = 'postgres://u@db-a:5433,[::1]:5434/callpipe?sslmode=disable&target_session_attrs=read-write';
    expect(formatPostgresUrl(parsePostgresUrl(text))).toBe(text);
    expect(formatPostgresUrl(withDatabase(parsePostgresUrl(text), 'other'))).toBe(
      'postgres://u@db-a:5433,[::1]:5434/other?sslmode=disable&target_session_attrs=read-write',
    );
  });

  it.each([
    ['mysql://root@localhost/db', 'must be a URL starting with postgres:// or postgresql://'],
    ['postgres://u@db-a:5432,,db-b/db', 'host "" must look like name[:port]'],
    ['postgres://u@db-a:99999/db', 'host "db-a:99999" must look like name[:port]'],
    ['postgres://u@db-a/db?target_session_attrs=standby', 'target_session_attrs=standby is not supported: use any or read-write'],
  ])('refuses %s with a message that says why', (text, message) => {
    expect(postgresUrlProblem(text)).toContain(message);
  });
});
