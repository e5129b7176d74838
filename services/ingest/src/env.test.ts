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
    [{ INGEST_PORT: 'eighty' }, 'INGEST_PORT'],
    [{ INGEST_BODY_LIMIT_BYTES: '10' }, 'INGEST_BODY_LIMIT_BYTES'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL: must be a URL starting with redis:// or rediss://'],
    [{ CALLPIPE_QUEUE_PREFIX: 'has space' }, 'CALLPIPE_QUEUE_PREFIX'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('when given %j, then it refuses naming %s', (env, message) => {
    expect(() => parseIngestEnv(env)).toThrow(ConfigError);
    expect(() => parseIngestEnv(env)).toThrow(message);
  });
});
