import { describe, expect, it } from 'vitest';
import { ConfigError } from '@callpipe/runtime';
import { parseIngestEnv } from './env.ts';

describe('ingest env', () => {
  it('when nothing is set, then the documented defaults apply', () => {
    expect(parseIngestEnv({})).toMatchObject({
      INGEST_PORT: 8080,
      INGEST_ADMIN_PORT: 9091,
      INGEST_BODY_LIMIT_BYTES: 1024 * 1024,
      REDIS_URL: 'redis://127.0.0.1:6379',
      CALLPIPE_QUEUE_PREFIX: 'callpipe',
      LOG_LEVEL: 'info',
    });
  });

  it.each([
    'redis://:secret@redis.internal:6380/1',
    'rediss+cluster://callpipe:secret@10.0.0.1:7000,10.0.0.2:7000',
    'redis+cluster://127.0.0.1:7000',
    'redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/callpipe',
  ])('when REDIS_URL is %s, then it is accepted as given', (url) => {
    expect(parseIngestEnv({ REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  it.each([
    [{ INGEST_PORT: 'eighty' }, 'INGEST_PORT'],
    [
      { INGEST_REDIS_WAIT_REPLICAS: '1', INGEST_REDIS_WAIT_TIMEOUT_MS: '2000' },
      'INGEST_REDIS_WAIT_TIMEOUT_MS: must be below INGEST_ENQUEUE_TIMEOUT_MS (2000)',
    ],
    [{ INGEST_BODY_LIMIT_BYTES: '10' }, 'INGEST_BODY_LIMIT_BYTES'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL: must be a URL starting with redis:// or rediss://'],
    [
      { REDIS_URL: 'http://localhost' },
      'redis+cluster:// or rediss+cluster:// (Redis Cluster seed nodes host:port,host:port), or redis+sentinel://',
    ],
    [{ REDIS_URL: 'redis+cluster://h1:7000/2' }, 'REDIS_URL: redis+cluster:// takes no path'],
    [{ REDIS_URL: 'redis+sentinel://s1:26379' }, "REDIS_URL: redis+sentinel:// needs the master's name as its path"],
    [{ CALLPIPE_QUEUE_PREFIX: 'has space' }, 'CALLPIPE_QUEUE_PREFIX'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('when given %j, then it refuses naming %s', (env, message) => {
    expect(() => parseIngestEnv(env)).toThrow(ConfigError);
    expect(() => parseIngestEnv(env)).toThrow(message);
  });
});
