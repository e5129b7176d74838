/**
 * Postgres connection URLs as libpq reads them, several hosts included:
 * `postgres://user:pass@db-a:5432,db-b:5432/callpipe?target_session_attrs=read-write`. node-postgres
 * takes one host, so callpipe picks the host itself (see primary-locator.ts) and hands `pg` a
 * single-host URL.
 */

export interface PostgresHost {
  host: string;
  port: number;
}

export type TargetSessionAttrs = 'any' | 'read-write';

export interface PostgresUrl {
  protocol: 'postgres:' | 'postgresql:';
  /** `user[:password]` exactly as written (still percent-encoded), or '' for none. */
  userInfo: string;
  hosts: PostgresHost[];
  /** Decoded database name; '' when the URL names none. */
  database: string;
  /** Query parameters other than target_session_attrs, in their order. */
  params: Array<[string, string]>;
  targetSessionAttrs: TargetSessionAttrs;
}

const DEFAULT_PORT = 5432;
const SHAPE = /^(postgres(?:ql)?:)\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/;
const HOST = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;
const TARGETS: readonly string[] = ['any', 'read-write'];

/** What is wrong with `text` as a Postgres URL, or null when it is fine (for the env schemas). */
export function postgresUrlProblem(text: string): string | null {
  try {
    parsePostgresUrl(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function parsePostgresUrl(text: string): PostgresUrl {
  const match = SHAPE.exec(text.trim());
  if (!match) throw new Error('must be a URL starting with postgres:// or postgresql://');
  const [, protocol, userInfo = '', hostList = '', path = '', query = ''] = match;
  const hosts = hostList.split(',').map((part): PostgresHost => {
    const host = HOST.exec(part);
    const port = Number(host?.[3] ?? DEFAULT_PORT);
    if (!host || port < 1 || port > 65_535) throw new Error(`host "${part}" must look like name[:port] or [ipv6][:port]`);
    return { host: host[1] ?? decodeURIComponent(host[2]!), port };
  });
  const params: Array<[string, string]> = [];
  let targetSessionAttrs: TargetSessionAttrs = 'any';
  for (const [key, value] of new URLSearchParams(query)) {
    if (key !== 'target_session_attrs') params.push([key, value]);
    else if (TARGETS.includes(value)) targetSessionAttrs = value as TargetSessionAttrs;
    else throw new Error(`target_session_attrs=${value} is not supported: use any or read-write`);
  }
  return { protocol: protocol as PostgresUrl['protocol'], userInfo, hosts, database: decodeURIComponent(path), params, targetSessionAttrs };
}

/** A single-host URL node-postgres understands, for one host of the list and optionally another database. */
export function singleHostUrl(url: PostgresUrl, host: PostgresHost, database = url.database): string {
  const hostPart = host.host.includes(':') ? `[${host.host}]` : encodeURIComponent(host.host);
  const query = new URLSearchParams(url.params).toString();
  return `${url.protocol}//${url.userInfo ? `${url.userInfo}@` : ''}${hostPart}:${host.port}/${encodeURIComponent(database)}${query ? `?${query}` : ''}`;
}

/** The same URL, every host and setting kept, naming another database. */
export function withDatabase(url: PostgresUrl, database: string): PostgresUrl {
  return { ...url, database };
}

/** Back to text, every host kept (the inverse of parsePostgresUrl). */
export function formatPostgresUrl(url: PostgresUrl): string {
  const hosts = url.hosts
    .map((host) => `${host.host.includes(':') ? `[${host.host}]` : encodeURIComponent(host.host)}:${host.port}`)
    .join(',');
  const params = new URLSearchParams(url.params);
  if (url.targetSessionAttrs !== 'any') params.set('target_session_attrs', url.targetSessionAttrs);
  const query = params.toString();
  return `${url.protocol}//${url.userInfo ? `${url.userInfo}@` : ''}${hosts}/${encodeURIComponent(url.database)}${query ? `?${query}` : ''}`;
}

/** For logs: hosts without credentials. */
export function describeHosts(url: PostgresUrl): string {
  return url.hosts.map((host) => `${host.host}:${host.port}`).join(',');
}
