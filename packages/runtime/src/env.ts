import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { parseDuration } from './duration.ts';
import { logLevels } from './logger.ts';

/** Shared building blocks for each service's own env schema. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);
export const boundedInt = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);
export const logLevel = z.enum(logLevels).default('info');
/** A string checked by `problemOf`, which returns what is wrong with it (the message) or null. */
export const checkedString = (fallback: string, problemOf: (value: string) => string | null) =>
  z
    .string()
    .default(fallback)
    .superRefine((value, ctx) => {
      const problem = problemOf(value);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    });

/** A duration such as `7h` or `1h30m` (see parseDuration), as milliseconds, between `minMs` and `maxMs`. */
export const duration = (fallback: string, minMs: number, maxMs: number) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null) ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 7h, 90m or 1h30m` });
      else if (ms < minMs || ms > maxMs) ctx.addIssue({ code: 'custom', message: `must be between ${minMs / 1000}s and ${maxMs / 1000}s` });
      else return ms;
      return z.NEVER;
    });

/** Parses once, and on failure names every bad variable with its reason. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`).join('\n');
  throw new ConfigError(`invalid configuration:\n${problems}`);
}
