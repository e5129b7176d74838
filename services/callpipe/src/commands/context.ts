import type { Readable, Writable } from 'node:stream';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { z } from 'zod';

/**
 * What an action decided: a number is the process's exit code; `'keep-running'` means a service
 * has started and the process lives until its shutdown coordinator exits it.
 */
export type Outcome = number | 'keep-running';

/** Usage mistakes (unknown command or option, missing or invalid argument) exit 2, as commander's own do. */
export const USAGE_EXIT_CODE = 2;

export interface CliIo {
  /** Standard output, one line at a time: a command's result (JSON lines where it has them). */
  out: (line: string) => void;
  /** Standard error: progress, summaries beside machine output, problems. */
  err: (text: string) => void;
  errIsTTY: boolean;
  /** Standard output as a byte stream, for data (an export's file written to stdout). */
  stdout: Writable;
  stdin: Readable;
}

/** What every command's factory gets from the entry point. */
export interface CommandContext {
  /** Handed to the env parsers inside actions only, so `--help` never reads (or refuses) the configuration. */
  env: NodeJS.ProcessEnv;
  io: CliIo;
  /** Every action ends by settling its outcome; main.ts turns it into the exit code. */
  settle: (outcome: Outcome) => void;
}

/** Source-wrapped paragraphs for a help text: commander wraps to the terminal itself, so single line breaks are joined. */
export function prose(text: string): string {
  return text.replace(/(?<!\n)\n(?!\n)/g, ' ');
}

/** Reports a usage mistake the way commander reports its own: one line on stderr, exit 2. */
export function usageError(command: CommandUnknownOpts, message: string): never {
  return command.error(`error: ${message}`, { exitCode: USAGE_EXIT_CODE, code: 'callpipe.usage' });
}

/**
 * Checks option values with the command's zod schema; a refusal names the options (`--batch-size`
 * for the schema's `batchSize`) and is a usage error.
 */
export function checkOptions<Schema extends z.ZodType>(
  command: CommandUnknownOpts,
  schema: Schema,
  values: Partial<Record<keyof z.input<Schema>, unknown>>,
): z.output<Schema> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  return usageError(command, parsed.error.issues.map(describeIssue).join('; '));
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path[0];
  if (typeof key !== 'string') return issue.message;
  const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
  return issue.message.startsWith(flag) ? issue.message : `${flag}: ${issue.message}`;
}
