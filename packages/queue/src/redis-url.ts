/**
 * One variable describes the Redis deployment (REDIS_URL), whatever its shape:
 *
 * - `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS): one server, handed to ioredis as is;
 * - `redis+cluster://[user:password@]host:port,host:port[/]`, `rediss+cluster://…`: Redis Cluster
 *   seed nodes (ioredis discovers the rest);
 * - `redis+sentinel://[user:password@]host:port,host:port/masterName`, `rediss+sentinel://…`:
 *   Sentinels and the name of the master they watch; `?sentinelUsername=&sentinelPassword=` when
 *   the Sentinels themselves need other credentials than the data nodes.
 *
 * Several hosts in one authority are not a WHATWG URL, so these forms are parsed here, by hand.
 */

export interface RedisEndpoint {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
}

export type RedisTarget =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; nodes: RedisEndpoint[]; tls: boolean } & Credentials)
  | ({
      kind: 'sentinel';
      sentinels: RedisEndpoint[];
      masterName: string;
      tls: boolean;
      sentinelUsername?: string;
      sentinelPassword?: string;
    } & Credentials);

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

export const REDIS_URL_FORMS =
  'must be a URL starting with redis:// or rediss:// (one server), redis+cluster:// or rediss+cluster:// (Redis Cluster seed nodes host:port,host:port), or redis+sentinel:// or rediss+sentinel:// (Sentinels host:port,host:port/masterName)';

const DEFAULT_PORT = { cluster: 6379, sentinel: 26379 } as const;
const MULTI_HOST = /^(rediss?)\+(cluster|sentinel):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?$/i;
const SENTINEL_PARAMS = new Set(['sentinelUsername', 'sentinelPassword']);

/** What REDIS_URL describes; throws a RedisUrlError saying what is wrong. Passwords never appear in messages. */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//i.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new RedisUrlError(`${url.slice(0, url.indexOf('//') + 2)}… is not a valid URL`);
    }
    return { kind: 'single', url };
  }
  const match = MULTI_HOST.exec(url);
  if (!match) throw new RedisUrlError(REDIS_URL_FORMS);
  const [, scheme = '', kindText = '', authority = '', path = '', query = ''] = match;
  const kind = kindText.toLowerCase() as 'cluster' | 'sentinel';
  const tls = scheme.toLowerCase() === 'rediss';
  const form = `${scheme.toLowerCase()}+${kind}://`;
  const at = authority.lastIndexOf('@');
  const credentials = at === -1 ? {} : parseUserinfo(authority.slice(0, at), form);
  const endpoints = parseEndpoints(authority.slice(at + 1), DEFAULT_PORT[kind], form);
  const params = new URLSearchParams(query.slice(1));

  if (kind === 'cluster') {
    if (path !== '' && path !== '/') throw new RedisUrlError(`${form} takes no path (Redis Cluster has only database 0), got ${path}`);
    if ([...params.keys()].length > 0) throw new RedisUrlError(`${form} takes no query parameters, got ${[...params.keys()].join(', ')}`);
    return { kind, nodes: endpoints, tls, ...credentials };
  }
  const masterName = decodeURIComponent(path.replace(/^\//, '').replace(/\/$/, ''));
  if (masterName === '' || masterName.includes('/'))
    throw new RedisUrlError(`${form} needs the master's name as its path: ${form}host:port,host:port/mymaster`);
  const unknown = [...params.keys()].filter((key) => !SENTINEL_PARAMS.has(key));
  if (unknown.length > 0)
    throw new RedisUrlError(`${form} takes only sentinelUsername and sentinelPassword as query parameters, got ${unknown.join(', ')}`);
  const sentinelUsername = params.get('sentinelUsername') ?? undefined;
  const sentinelPassword = params.get('sentinelPassword') ?? undefined;
  return {
    kind,
    sentinels: endpoints,
    masterName,
    tls,
    ...credentials,
    ...(sentinelUsername === undefined ? {} : { sentinelUsername }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
  };
}

/** For env validation: null when the URL is usable, otherwise the reason. */
export function redisUrlProblem(url: string): string | null {
  try {
    parseRedisUrl(url);
    return null;
  } catch (error) {
    if (error instanceof RedisUrlError) return error.message;
    throw error;
  }
}

/** `user:password` as in a URL (either part may be empty; percent-encoded). */
function parseUserinfo(userinfo: string, form: string): Credentials {
  const colon = userinfo.indexOf(':');
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new RedisUrlError(`${form} has a badly percent-encoded user or password`);
    }
  };
  const username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? '' : decode(userinfo.slice(colon + 1));
  return { ...(username === '' ? {} : { username }), ...(password === '' ? {} : { password }) };
}

function parseEndpoints(list: string, defaultPort: number, form: string): RedisEndpoint[] {
  const parts = list.split(',').map((part) => part.trim());
  if (list.trim() === '' || parts.some((part) => part === ''))
    throw new RedisUrlError(`${form} needs a comma-separated list of host:port, got "${list}"`);
  return parts.map((part) => {
    const endpoint = /^(\[[0-9a-f:.]+\]|[\w.-]+)(?::(\d+))?$/i.exec(part);
    const port = endpoint?.[2] === undefined ? defaultPort : Number(endpoint[2]);
    if (!endpoint?.[1] || port < 1 || port > 65_535) throw new RedisUrlError(`${form}: "${part}" is not host:port`);
    return { host: endpoint[1].replace(/^\[|\]$/g, ''), port };
  });
}
