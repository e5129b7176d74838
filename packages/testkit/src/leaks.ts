import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';

// Which Postgres and Redis connections this process holds open, found from the kernel's socket
// table rather than from names: a pool or client a test forgot to close leaks the same way whether
// the test made it, or the service code under test did, and whatever application_name or client
// name it was given. vitest runs one test file at a time per worker process (the `forks` pool), so
// the sockets a file leaves open are exactly the ones its process has at its end and did not have
// before it began.

export interface OpenSocket {
  /** Our end, for matching with pg_stat_activity.client_port and CLIENT LIST's addr. */
  localPort: number;
  remotePort: number;
  inode: string;
}

export interface LeakedConnection {
  server: 'postgres' | 'redis';
  localPort: number;
  /** What the server says about it: database, application_name, state, last query; or client name and last command. */
  detail: string;
}

/** Established TCP connections of this process to any of the given remote ports; null off Linux. */
export function openSockets(remotePorts: readonly number[]): OpenSocket[] | null {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return null;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed while we looked
    }
  }
  const sockets: OpenSocket[] = [];
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const [, local, remote, state, , , , , , inode] = fields;
      // 01 = ESTABLISHED; a socket we have closed lingers in other states and is no leak.
      if (state !== '01' || !inodes.has(inode!)) continue;
      const remotePort = parseInt(remote!.split(':')[1]!, 16);
      if (remotePorts.includes(remotePort)) sockets.push({ localPort: parseInt(local!.split(':')[1]!, 16), remotePort, inode: inode! });
    }
  }
  return sockets;
}

export interface LeakCheckTarget {
  redisUrl: string;
  databaseServerUrl: string;
}

const portOf = (url: string, fallback: number) => Number(new URL(url).port || fallback);

/** The sockets to Redis and Postgres this process has now; take it before a test file starts. */
export function connectionBaseline(target: LeakCheckTarget): Set<string> | null {
  const sockets = openSockets([portOf(target.redisUrl, 6379), portOf(target.databaseServerUrl, 5432)]);
  return sockets && new Set(sockets.map((socket) => socket.inode));
}

/** Connections opened since `baseline` and still open, each described by the server that holds it. */
export async function leakedConnections(target: LeakCheckTarget, baseline: ReadonlySet<string>): Promise<LeakedConnection[]> {
  const redisPort = portOf(target.redisUrl, 6379);
  const postgresPort = portOf(target.databaseServerUrl, 5432);
  const fresh = (openSockets([redisPort, postgresPort]) ?? []).filter((socket) => !baseline.has(socket.inode));
  if (fresh.length === 0) return [];
  const [postgresDetails, redisDetails] = await Promise.all([
    fresh.some((socket) => socket.remotePort === postgresPort) ? describePostgres(target.databaseServerUrl) : new Map<number, string>(),
    fresh.some((socket) => socket.remotePort === redisPort) ? describeRedis(target.redisUrl) : new Map<number, string>(),
  ]);
  return fresh.map((socket) =>
    socket.remotePort === postgresPort
      ? { server: 'postgres', localPort: socket.localPort, detail: postgresDetails.get(socket.localPort) ?? 'not in pg_stat_activity' }
      : { server: 'redis', localPort: socket.localPort, detail: redisDetails.get(socket.localPort) ?? 'not in CLIENT LIST' },
  );
}

async function describePostgres(serverUrl: string): Promise<Map<number, string>> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), application_name: 'callpipe-leak-check' });
  try {
    await client.connect();
    const { rows } = await client.query<{ client_port: number; datname: string; application_name: string; state: string; query: string }>(
      'SELECT client_port, datname, application_name, state, left(query, 80) AS query FROM pg_stat_activity WHERE pid <> pg_backend_pid()',
    );
    return new Map(
      rows.map((row) => [
        row.client_port,
        `database ${row.datname}, application_name '${row.application_name}', ${row.state}: ${row.query}`,
      ]),
    );
  } catch (error) {
    return new Map([[-1, `pg_stat_activity unreadable: ${String(error)}`]]);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function describeRedis(redisUrl: string): Promise<Map<number, string>> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectionName: 'callpipe-leak-check' });
  try {
    await client.connect();
    const list = (await client.call('CLIENT', 'LIST')) as string;
    const details = new Map<number, string>();
    for (const line of list.split('\n')) {
      const fields = Object.fromEntries(line.split(' ').map((pair) => pair.split('=') as [string, string]));
      const port = Number(fields['addr']?.split(':').at(-1));
      if (port) details.set(port, `client name '${fields['name'] ?? ''}', db ${fields['db']}, last command ${fields['cmd']}`);
    }
    return details;
  } catch (error) {
    return new Map([[-1, `CLIENT LIST unreadable: ${String(error)}`]]);
  } finally {
    client.disconnect();
  }
}

export function describeLeaks(leaks: readonly LeakedConnection[]): string {
  return leaks.map((leak) => `  ${leak.server} connection from local port ${leak.localPort}: ${leak.detail}`).join('\n');
}
