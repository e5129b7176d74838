import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, errorCode } from './errors.ts';
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

/**
 * Variables that may also be given as `<NAME>_FILE`, the path of a file holding the value (a mounted
 * Kubernetes or Docker secret), so that URLs with passwords need not sit in the environment.
 */
const fileForms = z.registry<{ fileForm: true }>();

/** Marks a variable's schema so that parseEnv also takes it from `<NAME>_FILE`. */
export function readableFromFile<T extends z.ZodType>(schema: T): T {
  fileForms.add(schema, { fileForm: true });
  return schema;
}

/** The variables of an env schema, as zod objects declare them; none for a schema of another shape. */
function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return schema instanceof z.ZodObject ? schema.shape : {};
}

/** Every variable an env schema reads: its keys, and `<NAME>_FILE` for those readable from a file. */
export function envVariableNames(schema: z.ZodType): string[] {
  return Object.entries(shapeOf(schema)).flatMap(([name, variable]) => (fileForms.has(variable) ? [name, `${name}_FILE`] : [name]));
}

/**
 * The environment with each `<NAME>_FILE` of the schema read into `<NAME>` (one trailing newline
 * dropped, as editors and `kubectl create secret --from-file` leave one). Setting both forms is a
 * mistake: which one wins would be a guess. Errors name the variable and the path, never the value.
 */
function withFileForms(schema: z.ZodType, env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; problems: string[] } {
  const resolved: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(shapeOf(schema))) {
    const path = env[`${name}_FILE`];
    if (!fileForms.has(variable) || path === undefined || path === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push(`  ${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`  ${name}_FILE: ${path} cannot be read (${errorCode(error) ?? 'error'})`);
    }
  }
  return { env: resolved, problems };
}

/** Parses once, `_FILE` forms included, and on failure names every bad variable with its reason. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const files = withFileForms(schema, env);
  if (files.problems.length > 0) throw new ConfigError(`invalid configuration:\n${files.problems.join('\n')}`);
  const result = schema.safeParse(files.env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`).join('\n');
  throw new ConfigError(`invalid configuration:\n${problems}`);
}

/** The prefixes of callpipe's own variables: a name with one of them that no schema reads is probably a typo. */
export const ENV_PREFIXES = ['CALLPIPE_', 'INGEST_', 'WORKER_'] as const;

export interface UnknownVariable {
  name: string;
  /** The known name closest to it, when it is close enough to be the intended one. */
  suggestion: string | null;
}

/**
 * Variables with callpipe's prefixes that none of the given schemas reads (nor `alsoKnown`, names of
 * scripts and tests), each with the nearest known name: `WORKER_CONCURENCY` → `WORKER_CONCURRENCY`.
 * A process warns about them at start: an ignored typo otherwise looks like a setting that did not work.
 */
export function unknownVariables(
  env: NodeJS.ProcessEnv,
  schemas: readonly z.ZodType[],
  alsoKnown: readonly string[] = [],
): UnknownVariable[] {
  const known = new Set([...schemas.flatMap(envVariableNames), ...alsoKnown]);
  return Object.keys(env)
    .filter((name) => ENV_PREFIXES.some((prefix) => name.startsWith(prefix)) && !known.has(name))
    .sort()
    .map((name) => ({ name, suggestion: nearest(name, known) }));
}

function nearest(name: string, known: ReadonlySet<string>): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(name.length / 5)) + 1;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = current;
  }
  return previous[b.length]!;
}

/** One line per unknown variable, for a start-up warning or `callpipe status`. */
export function describeUnknownVariable(variable: UnknownVariable): string {
  return `${variable.name} is not a variable callpipe reads${variable.suggestion ? ` (did you mean ${variable.suggestion}?)` : ''}`;
}
