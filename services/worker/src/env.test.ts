import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@callpipe/runtime';
import { parseWorkerEnv } from './env.ts';

describe('worker env', () => {
  it('when nothing is set, then every variable has a working default', () => {
    const env = parseWorkerEnv({});
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/callpipe',
      CALLPIPE_QUEUE_PREFIX: 'callpipe',
      WORKER_ADMIN_PORT: 9092,
    });
    expect(env.CALLPIPE_APP_BUSINESS.size).toBe(0);
  });

  it('when an app-key map is given, then it is parsed into businesses', () => {
    const env = parseWorkerEnv({ CALLPIPE_APP_BUSINESS: ' keyA=notify, keyB=verify ,keyC=click2call' });
    expect([...env.CALLPIPE_APP_BUSINESS]).toEqual([
      ['keyA', 'notify'],
      ['keyB', 'verify'],
      ['keyC', 'click2call'],
    ]);
  });

  it('when REDIS_URL names a Redis Cluster or Sentinels, then it is accepted', () => {
    expect(parseWorkerEnv({ REDIS_URL: 'redis+cluster://h1:7000,h2' }).REDIS_URL).toBe('redis+cluster://h1:7000,h2');
    expect(parseWorkerEnv({ REDIS_URL: 'redis+sentinel://s1,s2/callpipe' }).REDIS_URL).toBe('redis+sentinel://s1,s2/callpipe');
  });

  it.each([
    [{ CALLPIPE_APP_BUSINESS: 'keyA=voicemail' }, 'CALLPIPE_APP_BUSINESS: "keyA=voicemail" must look like appKey=click2call|notify|verify'],
    [{ CALLPIPE_APP_BUSINESS: 'keyA=notify,keyA=verify' }, 'app key keyA is mapped to two businesses'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a URL starting with postgres:// or postgresql://'],
    [{ REDIS_URL: 'memcached://h1' }, 'REDIS_URL: must be a URL starting with redis:// or rediss:// (one server), redis+cluster://'],
    [{ REDIS_URL: 'redis+cluster://h1:7000,h2:x' }, 'REDIS_URL: redis+cluster://: "h2:x" is not host:port'],
    [{ WORKER_ADMIN_PORT: '70000' }, 'WORKER_ADMIN_PORT'],
    [{ WORKER_PARALLEL_BATCHES: '8', WORKER_DB_POOL_SIZE: '4' }, 'WORKER_PARALLEL_BATCHES: must not exceed WORKER_DB_POOL_SIZE (4)'],
    [{ WORKER_RETRY_BASE_MS: '5000', WORKER_RETRY_MAX_MS: '1000' }, 'WORKER_RETRY_BASE_MS: must not exceed WORKER_RETRY_MAX_MS'],
    [
      { WORKER_QUEUE_UI: 'read-write' },
      'WORKER_QUEUE_UI_TOKEN: required when WORKER_QUEUE_UI is read-write and WORKER_ADMIN_HOST (0.0.0.0) is not a loopback address',
    ],
    [
      { WORKER_QUEUE_UI_UNMASKED: 'true', WORKER_ADMIN_HOST: '10.0.0.7' },
      'WORKER_QUEUE_UI_TOKEN: required when WORKER_QUEUE_UI is read-only with WORKER_QUEUE_UI_UNMASKED=true and WORKER_ADMIN_HOST (10.0.0.7)',
    ],
    [{ WORKER_QUEUE_UI_UNMASKED: 'yes' }, 'WORKER_QUEUE_UI_UNMASKED: must be true or false'],
    [{ WORKER_QUEUE_UI_TOKEN: 'short' }, 'WORKER_QUEUE_UI_TOKEN: use at least 16 characters'],
  ])('when given %j, then it refuses with a message naming the variable', (env, message) => {
    expect(() => parseWorkerEnv(env)).toThrow(ConfigError);
    expect(() => parseWorkerEnv(env)).toThrow(message);
  });

  it('when the partition variables are unset, then data is kept forever with partitions 7 days ahead; bad values are refused with the variable named', () => {
    expect(parseWorkerEnv({})).toMatchObject({ CALLPIPE_RETENTION_DAYS: 0, CALLPIPE_PARTITIONS_AHEAD_DAYS: 7 });
    expect(parseWorkerEnv({ CALLPIPE_RETENTION_DAYS: '400', CALLPIPE_PARTITIONS_AHEAD_DAYS: '90' })).toMatchObject({
      CALLPIPE_RETENTION_DAYS: 400,
      CALLPIPE_PARTITIONS_AHEAD_DAYS: 90,
    });
    expect(() => parseWorkerEnv({ CALLPIPE_RETENTION_DAYS: '1' })).toThrow(
      'CALLPIPE_RETENTION_DAYS: 0 keeps everything; otherwise at least 2',
    );
    expect(() => parseWorkerEnv({ CALLPIPE_RETENTION_DAYS: '-3' })).toThrow('CALLPIPE_RETENTION_DAYS');
    expect(() => parseWorkerEnv({ CALLPIPE_PARTITIONS_AHEAD_DAYS: '0' })).toThrow('CALLPIPE_PARTITIONS_AHEAD_DAYS');
    expect(() => parseWorkerEnv({ CALLPIPE_PARTITIONS_AHEAD_DAYS: '91' })).toThrow('CALLPIPE_PARTITIONS_AHEAD_DAYS');
  });

  it('when the billing time zone is unset, then books are cut in Beijing time; an unknown zone is refused with the variable named', () => {
    expect(parseWorkerEnv({})).toMatchObject({ CALLPIPE_BILLING_TIME_ZONE: 'Asia/Shanghai' });
    expect(parseWorkerEnv({ CALLPIPE_BILLING_TIME_ZONE: 'UTC' })).toMatchObject({ CALLPIPE_BILLING_TIME_ZONE: 'UTC' });
    expect(() => parseWorkerEnv({ CALLPIPE_BILLING_TIME_ZONE: 'Asia/Beijing' })).toThrow(
      'CALLPIPE_BILLING_TIME_ZONE: must be an IANA time zone name',
    );
  });

  it('when the queue UI writes or shows numbers, then it needs no token on loopback, or with one anywhere', () => {
    const token = '0123456789abcdef0123';
    expect(parseWorkerEnv({ WORKER_QUEUE_UI: 'read-write', WORKER_ADMIN_HOST: '127.0.0.1' }).WORKER_QUEUE_UI).toBe('read-write');
    expect(parseWorkerEnv({ WORKER_QUEUE_UI_UNMASKED: 'true', WORKER_ADMIN_HOST: 'localhost' }).WORKER_QUEUE_UI_UNMASKED).toBe(true);
    expect(parseWorkerEnv({ WORKER_QUEUE_UI: 'read-write', WORKER_QUEUE_UI_TOKEN: token }).WORKER_QUEUE_UI_TOKEN).toBe(token);
    // Read-only and masked stays allowed without a token (the worker warns at start): the default.
    expect(parseWorkerEnv({}).WORKER_QUEUE_UI_UNMASKED).toBe(false);
  });

  it('when DATABASE_URL, REDIS_URL or WORKER_QUEUE_UI_TOKEN come as _FILE forms, then the files are read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worker-env-'));
    const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    const env = parseWorkerEnv({
      DATABASE_URL_FILE: write('db', 'postgres://callpipe:s3cret@db:5432/callpipe\n'),
      REDIS_URL_FILE: write('redis', 'redis://:s3cret@redis:6379\n'),
      WORKER_QUEUE_UI_TOKEN_FILE: write('token', '0123456789abcdef0123\n'),
    });
    expect(env).toMatchObject({
      DATABASE_URL: 'postgres://callpipe:s3cret@db:5432/callpipe',
      REDIS_URL: 'redis://:s3cret@redis:6379',
      WORKER_QUEUE_UI_TOKEN: '0123456789abcdef0123',
    });
    expect(() => parseWorkerEnv({ REDIS_URL_FILE: write('bad', 'memcached://x') })).toThrow(
      'REDIS_URL: must be a URL starting with redis://',
    );
  });
});
