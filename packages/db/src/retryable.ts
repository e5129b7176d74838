import { errorCode } from '@callpipe/runtime';
import { PG_ERROR } from './sqlstate.ts';

/**
 * Postgres and network failures worth retrying: the same statement can succeed later. Anything
 * else (a constraint violation, bad data) fails the same way every time.
 */
const RETRYABLE_SQLSTATES = new Set<string>([
  PG_ERROR.serializationFailure,
  PG_ERROR.deadlockDetected,
  PG_ERROR.lockNotAvailable,
  PG_ERROR.queryCanceled, // statement_timeout
  PG_ERROR.adminShutdown,
  PG_ERROR.crashShutdown,
  PG_ERROR.cannotConnectNow,
  PG_ERROR.diskFull,
  PG_ERROR.outOfMemory,
  PG_ERROR.tooManyConnections,
  PG_ERROR.ioError,
  PG_ERROR.configurationLimitExceeded,
  PG_ERROR.connectionException,
  PG_ERROR.sqlclientUnableToEstablishSqlconnection,
  PG_ERROR.connectionDoesNotExist,
  PG_ERROR.sqlserverRejectedEstablishmentOfSqlconnection,
  PG_ERROR.connectionFailure,
  PG_ERROR.transactionResolutionUnknown,
  // A connection that reached a standby (a failover in progress, or a demoted primary): the next
  // connection finds the new primary.
  PG_ERROR.readOnlySqlTransaction,
  // The schema is not (yet) the one this worker expects: `callpipe migrate` has not run or is
  // running, or a rollout mixes versions. Jobs wait for it instead of becoming dead letters.
  PG_ERROR.undefinedTable,
  PG_ERROR.undefinedColumn,
  PG_ERROR.invalidColumnReference, // an ON CONFLICT target the schema does not have
]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function isRetryableDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = errorCode(current);
    if (code !== undefined && (RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NETWORK_CODES.has(code))) return true;
    const message = current instanceof Error ? current.message : '';
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message))
      return true;
    if (current instanceof AggregateError && current.errors.some(isRetryableDatabaseError)) return true;
    current = typeof current === 'object' && current !== null && 'cause' in current ? current.cause : undefined;
  }
  return false;
}
