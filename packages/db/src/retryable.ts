/**
 * Postgres and network failures worth retrying: the same statement can succeed later. Anything
 * else (a constraint violation, bad data) fails the same way every time.
 */
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53100', // disk_full
  '53200', // out_of_memory
  '53300', // too_many_connections
  '58030', // io_error
  '53400', // configuration_limit_exceeded
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '08007', // connection exceptions
  // The schema is not (yet) the one this worker expects: `callpipe migrate` has not run or is
  // running, or a rollout mixes versions. Jobs wait for it instead of becoming dead letters.
  '42P01', // undefined_table
  '42703', // undefined_column
  '42P10', // invalid_column_reference (an ON CONFLICT target the schema does not have)
]);
const RETRYABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function isRetryableDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NETWORK_CODES.has(code))) return true;
    const message = current instanceof Error ? current.message : '';
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message))
      return true;
    if (current instanceof AggregateError && current.errors.some(isRetryableDatabaseError)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
