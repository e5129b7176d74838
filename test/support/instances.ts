import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@callpipe/testkit/support';
import { freePort } from './process.ts';

// Private Redis and PostgreSQL servers on spare loopback ports, from the machine's own binaries,
// so fault tests can kill and restart them without touching anyone else's.

function succeeds(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL, and wait until the process is gone; nothing to do for one that is not running. */
async function killChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** redis-server on loopback with AOF `appendfsync always` and noeviction, as production runs it. */
export function durableRedisArgs(port: number, dir: string): string[] {
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'],
  ];
}

export interface RedisInstance {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGKILL: no chance to write anything more; only what AOF already fsync'd survives. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** A Redis with AOF `appendfsync always`, so every acknowledged write survives a kill -9. */
export async function createRedis(options: { args?: readonly string[] } = {}): Promise<RedisInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'callpipe-faults-redis-'));
  let child: ChildProcess | null = null;
  const ping = () => succeeds('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping']);
  const instance: RedisInstance = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn('redis-server', [...durableRedisArgs(port, dir), ...(options.args ?? [])], { stdio: 'ignore' });
      await waitFor(ping, { timeoutMs: 20_000, intervalMs: 100, what: `redis on ${port}` });
    },
    async kill() {
      await killChild(child);
      child = null;
    },
    async stop() {
      await instance.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}

export interface PostgresInstance {
  serverUrl: string;
  port: number;
  start(): Promise<void>;
  /** Fast shutdown: connections are cut, as in a crash or failover. */
  halt(): Promise<void>;
  stop(): Promise<void>;
  /** Ends recovery of a standby: it becomes a primary. */
  promote(): void;
}

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const candidate = join(root, version, 'bin', name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`PostgreSQL server binary ${name} not found under ${root} (apt-get install postgresql)`);
}

/** PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export interface PostgresOptions {
  /** The server's configuration file (e.g. infra/postgres/postgresql.conf); `settings` override it. */
  configFile?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** Makes the data folder instead of initdb (a standby's base backup). */
  initialize?: (data: string, run: (command: string, args: string[]) => void) => void;
}

export async function createPostgres(options: PostgresOptions = {}): Promise<PostgresInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'callpipe-faults-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres', dir]);
  else chownSync(dir, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  const run = (command: string, args: string[]) => execFileSync(...asPostgres(postgresBin(command), args), { stdio: 'ignore' });
  if (options.initialize) options.initialize(data, run);
  else run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const ready = () => succeeds('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]);
  const pgCtl = (args: string[]) => run('pg_ctl', ['-D', data, ...args]);
  const configFile = options.configFile ? { config_file: options.configFile } : {};
  const settings = Object.entries({
    ...configFile,
    listen_addresses: '127.0.0.1',
    fsync: 'off',
    max_connections: '200',
    ...options.settings,
  })
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
  const instance: PostgresInstance = {
    serverUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      pgCtl(['-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} ${settings}`, 'start']);
      await waitFor(ready, { timeoutMs: 20_000, intervalMs: 100, what: `postgres on ${port}` });
    },
    async halt() {
      pgCtl(['-m', 'fast', 'stop']);
      await waitFor(() => !ready(), { timeoutMs: 20_000, intervalMs: 100, what: `postgres on ${port} to stop` });
    },
    async stop() {
      try {
        pgCtl(['-m', 'immediate', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
    promote() {
      pgCtl(['-w', 'promote']);
    },
  };
  await instance.start();
  return instance;
}

export interface ReplicatedPostgres {
  primary: PostgresInstance;
  standby: PostgresInstance;
  /** Both hosts, `target_session_attrs=read-write`: what an operator puts in DATABASE_URL. */
  serverUrl: string;
  stop(): Promise<void>;
}

/**
 * A primary and a hot standby streaming from it. Commits wait for the standby
 * (`synchronous_standby_names`), so a commit the worker saw survives the primary's loss: with
 * asynchronous replication the last commits before a crash can be missing on the promoted standby.
 */
export async function createReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const primary = await createPostgres({
    settings: { wal_level: 'replica', max_wal_senders: '4', synchronous_standby_names: "'*'", synchronous_commit: 'on' },
  });
  const standby = await createPostgres({
    settings: { hot_standby: 'on' },
    initialize: (data, run) =>
      run('pg_basebackup', [
        '-h',
        '127.0.0.1',
        '-p',
        String(primary.port),
        '-U',
        'postgres',
        '-D',
        data,
        '-R',
        '-X',
        'stream',
        '--no-sync',
      ]),
  });
  await waitFor(
    () =>
      execFileSync(
        'psql',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(primary.port),
          '-U',
          'postgres',
          '-Atc',
          "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
        ],
        { encoding: 'utf8' },
      ).trim() === '1',
    { timeoutMs: 20_000, intervalMs: 100, what: 'the standby streaming from the primary' },
  );
  return {
    primary,
    standby,
    serverUrl: `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`,
    async stop() {
      await Promise.all([primary.stop(), standby.stop()]);
    },
  };
}

export interface PgbouncerInstance {
  serverUrl: string;
  port: number;
  start(): Promise<void>;
  /** SIGKILL: every client connection and server connection is cut at once. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function pgbouncerBin(): string {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(candidate)) return candidate;
  throw new Error('pgbouncer not found (apt-get install pgbouncer; .ci/run installs it)');
}

/**
 * pgbouncer in transaction mode in front of `postgres`, as operators run it. node-postgres sends
 * statement_timeout as a startup parameter, which pgbouncer does not pass on: it is ignored here,
 * and production sets it on the role instead (README, "Postgres failover and poolers").
 */
export async function createPgbouncer(postgres: PostgresInstance): Promise<PgbouncerInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'callpipe-faults-pgbouncer-'));
  writeFileSync(join(dir, 'users.txt'), '"postgres" ""\n');
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=127.0.0.1 port=${postgres.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 40',
      'ignore_startup_parameters = statement_timeout,extra_float_digits',
      `logfile = ${join(dir, 'log')}`,
      '',
    ].join('\n'),
  );
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres', dir]);
  let child: ChildProcess | null = null;
  const ready = () => succeeds('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]);
  const instance: PgbouncerInstance = {
    serverUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      // pgbouncer will not run as root; `-u` makes it drop to postgres itself, so the child is pgbouncer and a kill reaches it.
      const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
      child = spawn(pgbouncerBin(), [...asUser, join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
      await waitFor(ready, { timeoutMs: 20_000, intervalMs: 100, what: `pgbouncer on ${port}` });
    },
    async kill() {
      await killChild(child);
      child = null;
      await waitFor(() => !ready(), { timeoutMs: 20_000, intervalMs: 100, what: `pgbouncer on ${port} to stop` });
    },
    async stop() {
      await instance.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await instance.start();
  return instance;
}
