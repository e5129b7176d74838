import { existsSync } from 'node:fs';

/** Where the tests find Redis and Postgres. */
export interface TestServices {
  redisUrl: string;
  /** A server URL; tests create their own databases on it. */
  databaseUrl: string;
  /** Stops what the harness started (testcontainers); a no-op for external services. */
  stop: () => Promise<void>;
}

const HOW_TO =
  'Set REDIS_URL and DATABASE_URL to running services (for example REDIS_URL=redis://127.0.0.1:6379 ' +
  'DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres), or make a Docker engine reachable so ' +
  'testcontainers can start them. `bash .ci/run` does the former on a bare machine.';

/**
 * Uses REDIS_URL/DATABASE_URL when set, testcontainers when Docker is reachable, and otherwise stops
 * with a message that says what to set.
 */
export async function resolveTestServices(env: NodeJS.ProcessEnv): Promise<TestServices> {
  const redisUrl = env['REDIS_URL'];
  const databaseUrl = env['DATABASE_URL'];
  if (redisUrl && databaseUrl) return { redisUrl, databaseUrl, stop: () => Promise.resolve() };
  if (!dockerReachable(env)) {
    const missing = [redisUrl ? null : 'REDIS_URL', databaseUrl ? null : 'DATABASE_URL'].filter(Boolean).join(' and ');
    throw new Error(`callpipe tests need Redis and Postgres: ${missing} not set and no Docker engine is reachable. ${HOW_TO}`);
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const started: Array<{ stop: () => Promise<unknown> }> = [];
  try {
    let resolvedRedis = redisUrl;
    if (!resolvedRedis) {
      const redis = await new GenericContainer('redis:7.4-alpine')
        .withCommand(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'])
        .withExposedPorts(6379)
        .start();
      started.push(redis);
      resolvedRedis = `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`;
    }
    let resolvedDatabase = databaseUrl;
    if (!resolvedDatabase) {
      const postgres = await new GenericContainer('postgres:16-alpine')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      started.push(postgres);
      resolvedDatabase = `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres`;
    }
    return {
      redisUrl: resolvedRedis,
      databaseUrl: resolvedDatabase,
      stop: async () => {
        await Promise.all(started.map((container) => container.stop()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((container) => container.stop()));
    throw new Error(`testcontainers could not start Redis/Postgres. ${HOW_TO}`, { cause: error });
  }
}

function dockerReachable(env: NodeJS.ProcessEnv): boolean {
  if (env['DOCKER_HOST']) return true;
  // The client binary alone is not enough: an engine must be listening on its socket.
  return existsSync('/var/run/docker.sock');
}
