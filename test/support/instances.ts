import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
      const current = child;
      child = null;
      if (!current || current.exitCode !== null) return;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGKILL');
      await exited;
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

export async function createPostgres(): Promise<PostgresInstance> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'callpipe-faults-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres', dir]);
  else chownSync(dir, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
  execFileSync(...asPostgres(postgresBin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']), { stdio: 'ignore' });
  const ready = () => succeeds('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]);
  const pgCtl = (args: string[]) => execFileSync(...asPostgres(postgresBin('pg_ctl'), ['-D', data, ...args]), { stdio: 'ignore' });
  const instance: PostgresInstance = {
    serverUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      pgCtl([
        '-l',
        join(dir, 'log'),
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
        'start',
      ]);
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
  };
  await instance.start();
  return instance;
}
