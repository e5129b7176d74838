import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.ts';
import { parsePostgresUrl, singleHostUrl, type PostgresHost } from './postgres-url.ts';
import { isReadOnly, NoUsableHostError, PrimaryLocator } from './primary-locator.ts';

export interface DatabaseOptions {
  connectionString: string;
  /** Connections in the pool; the worker needs one per concurrent batch flush. */
  poolSize?: number;
  applicationName?: string;
  /** Fail a statement rather than let a stuck lock hold a worker forever. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Told of what breaks a connection of the pool (see below): for logs, and for tests of that path. */
  onConnectionError?: (error: Error) => void;
  /** Told when a multi-host URL's connections go to another host (at start and after a failover). */
  onPrimarySwitch?: (host: PostgresHost) => void;
}

const DATE_OID = 1082;

// A `date` (calls.call_day) stays the 'YYYY-MM-DD' it is: pg's default turns it into a Date at local
// midnight, which is another day in any time zone west of UTC. Per pool, not pg's global registry.
const keepText = (value: string): string => value;
const getTypeParser: typeof pg.types.getTypeParser = ((oid: number, format?: 'text' | 'binary'): unknown =>
  oid === DATE_OID && format !== 'binary'
    ? keepText
    : (pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown)(oid, format)) as typeof pg.types.getTypeParser;

export function createDatabase(options: DatabaseOptions): Kysely<Database> {
  const url = parsePostgresUrl(options.connectionString);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const routed = url.hosts.length > 1 || url.targetSessionAttrs !== 'any';
  const pool = new pg.Pool({
    // pg parses one host only; a routed client replaces it with the host the locator picks.
    connectionString: routed ? singleHostUrl(url, url.hosts[0]!) : options.connectionString,
    ...(routed ? { Client: routedClient(new PrimaryLocator(url, connectTimeoutMs, options.onPrimarySwitch)) } : {}),
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'callpipe',
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: connectTimeoutMs,
    types: { getTypeParser },
  });
  // A client losing its connection (Postgres restarting, failing over) emits 'error'. For an idle
  // client the pool relays it here; a checked-out client between two statements of a transaction
  // emits it on itself, where nobody listens, and that would crash the process. Either way the
  // failure also reaches the next query on that client, which the caller's retry policy handles,
  // and the pool discards the broken client.
  const onError = options.onConnectionError ?? (() => undefined);
  pool.on('error', () => undefined); // the same error the client reports below
  pool.on('connect', (client) => {
    client.on('error', (error) => onError(error));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

type ConnectCallback = ((error: Error) => void) | ((error: null, client: pg.Client) => void);

/**
 * A pg client that connects to the host the locator names instead of the URL's first host, checks
 * it is writable when asked to, and makes the locator look again when its connection breaks.
 */
function routedClient(locator: PrimaryLocator): typeof pg.Client {
  return class RoutedClient extends pg.Client {
    // pg's own overloads: a promise, or a callback (which the pool uses).
    override connect(): Promise<pg.Client>;
    override connect(callback: ConnectCallback): void;
    override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
      const connecting = this.#connectToPrimary();
      if (!callback) return connecting;
      connecting.then(
        (client) => (callback as (error: null, client: pg.Client) => void)(null, client),
        (error: unknown) => (callback as (error: Error) => void)(error as Error),
      );
    }

    async #connectToPrimary(): Promise<pg.Client> {
      const host = await locator.host();
      // pg reads these when it opens the socket; the rest of the configuration is the URL's.
      this.host = host.host;
      this.port = host.port;
      const parameters = (this as unknown as { connectionParameters: { host: string; port: number } }).connectionParameters;
      parameters.host = host.host;
      parameters.port = host.port;
      this.on('error', () => locator.forget(host));
      try {
        await super.connect();
      } catch (error) {
        locator.forget(host);
        throw error;
      }
      if (locator.wantsWritable && (await isReadOnly(this))) {
        locator.forget(host);
        await this.end();
        throw new NoUsableHostError(`${host.host}:${host.port} turned read-only (a failover in progress)`);
      }
      return this;
    }
  };
}
