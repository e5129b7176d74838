import pg from 'pg';
import { PG_ERROR } from './sqlstate.ts';
import { describeHosts, parsePostgresUrl, singleHostUrl, withDatabase, type PostgresHost, type PostgresUrl } from './postgres-url.ts';

/** No host of a multi-host URL took a connection, or none was writable when a writable one was asked for. */
export class NoUsableHostError extends Error {
  override readonly name = 'NoUsableHostError';
  /** SQLSTATE 08001 (sqlclient_unable_to_establish_sqlconnection): callers retry it like any outage. */
  readonly code = PG_ERROR.sqlclientUnableToEstablishSqlconnection;
}

/**
 * Which host of a multi-host `DATABASE_URL` to connect to, as libpq's `target_session_attrs` does:
 * the first that accepts a connection and, for `read-write`, is not read-only (a standby answers
 * `transaction_read_only = on`). The answer is kept until a connection to that host breaks or turns
 * out read-only; then the next connection probes the hosts again, so a promoted standby is found
 * without restarting anything.
 */
export class PrimaryLocator {
  readonly #url: PostgresUrl;
  readonly #connectTimeoutMs: number;
  readonly #onSwitch: (host: PostgresHost) => void;
  #current: PostgresHost | null = null;
  #probing: Promise<PostgresHost> | null = null;

  constructor(url: PostgresUrl, connectTimeoutMs: number, onSwitch: (host: PostgresHost) => void = () => undefined) {
    this.#url = url;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#onSwitch = onSwitch;
  }

  get wantsWritable(): boolean {
    return this.#url.targetSessionAttrs === 'read-write';
  }

  /** The host to connect to now; probes (once, for all concurrent callers) when none is known. */
  host(): Promise<PostgresHost> {
    if (this.#current) return Promise.resolve(this.#current);
    this.#probing ??= this.#probe().finally(() => {
      this.#probing = null;
    });
    return this.#probing;
  }

  /** A connection to `host` broke or was read-only: look again next time. */
  forget(host: PostgresHost): void {
    if (this.#current === host) this.#current = null;
  }

  async #probe(): Promise<PostgresHost> {
    const problems: string[] = [];
    for (const host of this.#url.hosts) {
      const client = new pg.Client({ connectionString: singleHostUrl(this.#url, host), connectionTimeoutMillis: this.#connectTimeoutMs });
      client.on('error', () => undefined);
      try {
        await client.connect();
        if (this.wantsWritable && (await isReadOnly(client))) {
          problems.push(`${host.host}:${host.port} is read-only`);
          continue;
        }
        this.#current = host;
        this.#onSwitch(host);
        return host;
      } catch (error) {
        problems.push(`${host.host}:${host.port}: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    const wanted = this.wantsWritable ? 'writable host' : 'host';
    throw new NoUsableHostError(`no ${wanted} among ${describeHosts(this.#url)} (${problems.join('; ')})`);
  }
}

/** libpq's own test for target_session_attrs=read-write. */
export async function isReadOnly(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
  return result.rows[0]?.transaction_read_only === 'on';
}

/** One plain client on the host a (possibly multi-host) URL selects, for administrative statements. */
export async function connectToPrimary(connectionString: string, database?: string): Promise<pg.Client> {
  const parsed = parsePostgresUrl(connectionString);
  // The probe connects to the database the client will use: it may be `postgres` for a database not created yet.
  const url = database === undefined ? parsed : withDatabase(parsed, database);
  const host = await new PrimaryLocator(url, 5_000).host();
  const client = new pg.Client({ connectionString: singleHostUrl(url, host) });
  await client.connect();
  return client;
}
