import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisConnection } from './connections.ts';
import { parseRedisUrl, REDIS_URL_FORMS, redisUrlProblem } from './redis-url.ts';

describe('parseRedisUrl', () => {
  it('when given redis:// or rediss://, then it is one server and the URL goes to ioredis unchanged', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://user:p%40ss@redis.internal:6380/2')).toEqual({
      kind: 'single',
      url: 'rediss://user:p%40ss@redis.internal:6380/2',
    });
  });

  it('when given redis+cluster://, then the seed nodes, credentials and TLS are read from it', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://callpipe:s%3Acret%2F1@redis-0.example.com:6380,redis-1.example.com/')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'redis-0.example.com', port: 6380 },
        { host: 'redis-1.example.com', port: 6379 },
      ],
      tls: true,
      username: 'callpipe',
      password: 's:cret/1',
    });
  });

  it('when the userinfo has only a password, or only a user, then only that is set', () => {
    expect(parseRedisUrl('redis+cluster://:secret@h:1')).toMatchObject({ password: 'secret' });
    expect(parseRedisUrl('redis+cluster://:secret@h:1')).not.toHaveProperty('username');
    expect(parseRedisUrl('redis+cluster://bob@h:1')).toMatchObject({ username: 'bob' });
    expect(parseRedisUrl('redis+cluster://bob@h:1')).not.toHaveProperty('password');
  });

  it('when a host is an IPv6 address in brackets, then the brackets are dropped', () => {
    expect(parseRedisUrl('redis+cluster://[::1]:7000,[fd00::2]:7001')).toMatchObject({
      nodes: [
        { host: '::1', port: 7000 },
        { host: 'fd00::2', port: 7001 },
      ],
    });
  });

  it('when given redis+sentinel://, then the Sentinels (port 26379 by default), the master name and the credentials are read from it', () => {
    expect(parseRedisUrl('redis+sentinel://:pw@s1:26380,s2/callpipe-master?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'callpipe-master',
      tls: false,
      password: 'pw',
      sentinelPassword: 'sp',
    });
    expect(parseRedisUrl('rediss+sentinel://s1:26379/mymaster/')).toMatchObject({ kind: 'sentinel', masterName: 'mymaster', tls: true });
  });

  it.each([
    ['http://localhost:6379', REDIS_URL_FORMS],
    ['localhost:6379', REDIS_URL_FORMS],
    ['redis+replica://h:1', REDIS_URL_FORMS],
    ['redis://host:notaport', 'redis://… is not a valid URL'],
    ['redis+cluster://', 'needs a comma-separated list of host:port'],
    ['redis+cluster://h1:7000,,h2:7001', 'needs a comma-separated list of host:port'],
    ['redis+cluster://h1:70000', '"h1:70000" is not host:port'],
    ['redis+cluster://h1:7000/3', 'takes no path (Redis Cluster has only database 0)'],
    ['redis+cluster://h1:7000?tls=true', 'takes no query parameters, got tls'],
    ['redis+sentinel://s1:26379', "needs the master's name as its path"],
    ['redis+sentinel://s1:26379/a/b', "needs the master's name as its path"],
    ['redis+sentinel://s1:26379/m?db=2', 'takes only sentinelUsername and sentinelPassword'],
  ])('when given %s, then it is refused: %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
    expect(redisUrlProblem(url)).toContain(message);
  });

  it('when a URL is refused, then the message does not show its password', () => {
    expect(redisUrlProblem('redis+cluster://u:topsecret@h1:99999')).not.toContain('topsecret');
    expect(redisUrlProblem('redis://u:topsecret@host:port')).not.toContain('topsecret');
  });

  it('when a URL is usable, then there is no problem', () => {
    expect(redisUrlProblem('redis+cluster://127.0.0.1:7000')).toBeNull();
  });
});

describe('createRedisConnection', () => {
  // lazyConnect: the clients are only built and inspected, never connected.
  it('when given a cluster URL for a worker, then it is a Cluster that waits for Redis, as BullMQ requires', () => {
    const client = createRedisConnection('redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001', 'worker', { lazyConnect: true });
    expect(client).toBeInstanceOf(Cluster);
    const { options } = client as Cluster;
    expect(options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, password: 'pw', connectionName: 'callpipe-worker' });
    expect(options).toMatchObject({ enableOfflineQueue: true, scaleReads: 'master', lazyConnect: true });
    client.disconnect();
  });

  it('when given a cluster URL for a producer, then it fails fast: no offline queue, one retry per node', () => {
    const client = createRedisConnection('redis+cluster://127.0.0.1:7000', 'producer', { lazyConnect: true }) as Cluster;
    expect(client.options.enableOfflineQueue).toBe(false);
    expect(client.options.redisOptions).toMatchObject({ maxRetriesPerRequest: 1 });
    client.disconnect();
  });

  it('when given a sentinel URL, then it is a Redis that asks the Sentinels for the master', () => {
    const client = createRedisConnection('redis+sentinel://u:pw@127.0.0.1:26379/callpipe', 'worker', { lazyConnect: true });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({
      sentinels: [{ host: '127.0.0.1', port: 26379 }],
      name: 'callpipe',
      username: 'u',
      password: 'pw',
      maxRetriesPerRequest: null,
    });
    client.disconnect();
  });
});
