import { describe, expect, it } from 'vitest';
import { isRetryableDatabaseError } from './retryable.ts';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('isRetryableDatabaseError', () => {
  it('retries outages: connections, deadlocks, shutdowns, full disks', () => {
    for (const code of ['08006', '40P01', '57P01', '53100', 'ECONNREFUSED']) expect(isRetryableDatabaseError(pgError(code))).toBe(true);
    expect(isRetryableDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('retries while the schema is not migrated yet (workers started before the migrate job finished)', () => {
    for (const code of ['42P01', '42703', '42P10']) expect(isRetryableDatabaseError(pgError(code))).toBe(true);
  });

  it('does not retry bad data, which fails the same way every time', () => {
    for (const code of ['22P02', '23505', '22001']) expect(isRetryableDatabaseError(pgError(code))).toBe(false);
    expect(isRetryableDatabaseError(new Error('boom'))).toBe(false);
  });

  it('looks through causes and aggregate errors', () => {
    expect(isRetryableDatabaseError(new Error('wrapped', { cause: pgError('40001') }))).toBe(true);
    expect(isRetryableDatabaseError(new AggregateError([new Error('x'), pgError('57P03')]))).toBe(true);
  });
});
