import { z } from 'zod';
import type { RejectionCode } from './rejection.ts';
import { parseHuaweiTime, parseUnixTime } from './time.ts';

/**
 * Field validators shared by status events and CDRs. Each failure carries a stable rejection code in
 * the zod issue's params, so callers can answer with a specific code instead of a generic one.
 */
function fail(ctx: z.RefinementCtx, code: RejectionCode, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message, params: { rejection: code } });
  return z.NEVER;
}

export function textField(maxLength: number) {
  return z
    .unknown()
    .transform((value, ctx): string | null => {
      if (value === undefined || value === null) return null;
      if (typeof value !== 'string') return fail(ctx, 'invalid_field', `expected a string, got ${describe(value)}`);
      if (value.length > maxLength) return fail(ctx, 'field_too_long', `${value.length} characters, at most ${maxLength} allowed`);
      return value;
    })
    .optional();
}

/** Integers arrive as JSON numbers; numeric strings are accepted because older platform builds sent them. */
export function integerField() {
  return z
    .unknown()
    .transform((value, ctx): number | null => {
      if (value === undefined || value === null || value === '') return null;
      const number = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
        return fail(ctx, 'invalid_field', `expected an integer, got ${describe(value)}`);
      }
      if (Math.abs(number) > 2_147_483_647) return fail(ctx, 'invalid_field', `${number} does not fit a 32-bit integer`);
      return number;
    })
    .optional();
}

/**
 * A UTC `yyyy-MM-dd HH:mm:ss` string, as every example shows; a number is read as the UNIX
 * timestamp the field tables describe (seconds, or milliseconds when that large). Empty strings
 * mean "not set", as in some platform builds.
 */
export function timeField() {
  return z
    .unknown()
    .transform((value, ctx): string | null => {
      if (value === undefined || value === null || value === '') return null;
      if (typeof value === 'number') {
        const parsed = parseUnixTime(value);
        if (!parsed.ok) return fail(ctx, parsed.code, parsed.message);
        return parsed.iso;
      }
      if (typeof value !== 'string') return fail(ctx, 'invalid_timestamp', `expected a time string, got ${describe(value)}`);
      const parsed = parseHuaweiTime(value);
      if (!parsed.ok) return fail(ctx, parsed.code, parsed.message);
      return parsed.iso;
    })
    .optional();
}

export function sessionIdField(maxLength: number) {
  return z.unknown().transform((value, ctx): string => {
    if (typeof value !== 'string') return fail(ctx, 'invalid_session_id', `sessionId must be a string, got ${describe(value)}`);
    if (value.length === 0) return fail(ctx, 'invalid_session_id', 'sessionId is empty');
    if (value.length > maxLength)
      return fail(ctx, 'invalid_session_id', `sessionId has ${value.length} characters, at most ${maxLength} allowed`);
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
    if (/[\u0000-\u001f\u007f]/.test(value)) return fail(ctx, 'invalid_session_id', 'sessionId contains control characters');
    return value;
  });
}

/** Turns the first zod issue into a rejection with its code and the path of the offending field. */
export function rejectionFromZod(error: z.ZodError, prefix: string): { code: RejectionCode; message: string } {
  const issue = error.issues[0];
  if (!issue) return { code: 'invalid_field', message: `${prefix}: invalid` };
  const path = [prefix, ...issue.path.map(String)].join('.');
  const params = (issue as { params?: { rejection?: RejectionCode } }).params;
  if (params?.rejection) return { code: params.rejection, message: `${path}: ${issue.message}` };
  return { code: 'invalid_field', message: `${path}: ${issue.message}` };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string`;
  return `a ${typeof value}`;
}
