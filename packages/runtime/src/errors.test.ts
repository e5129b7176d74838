import { describe, expect, it } from 'vitest';
import { coerceError, errorCode } from './errors.ts';

describe('coerceError', () => {
  it('returns an Error as it is', () => {
    const error = new TypeError('boom', { cause: 'root' });
    expect(coerceError(error)).toBe(error);
    expect(coerceError(error).cause).toBe('root');
  });

  it('when a string is thrown, then it becomes the message and stays the cause', () => {
    const error = coerceError('connection lost');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('connection lost');
    expect(error.cause).toBe('connection lost');
  });

  it('when another value is thrown, then the message shows it and the cause keeps it', () => {
    const thrown = { code: 'X1', detail: [1, 2] };
    const error = coerceError(thrown);
    expect(error.message).toBe('non-error thrown: {"code":"X1","detail":[1,2]}');
    expect(error.cause).toBe(thrown);
    expect(coerceError(undefined).message).toBe('non-error thrown: undefined');
    expect(coerceError(null).message).toBe('non-error thrown: null');
    expect(coerceError(42n).message).toBe('non-error thrown: 42');
  });

  it('when the value cannot be serialized, then it still yields a message', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = coerceError(circular);
    expect(error.message).toBe('non-error thrown: [object Object]');
    expect(error.cause).toBe(circular);
  });
});

describe('errorCode', () => {
  it('reads a string code from errors and error-like objects', () => {
    expect(errorCode(Object.assign(new Error('gone'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorCode({ code: '40001' })).toBe('40001');
  });

  it('when there is no string code, then it is undefined', () => {
    expect(errorCode(new Error('plain'))).toBeUndefined();
    expect(errorCode({ code: 42 })).toBeUndefined();
    expect(errorCode('ENOENT')).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
  });
});
