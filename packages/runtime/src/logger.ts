import { maskDeep, maskPhoneNumbersIn } from './mask.ts';

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  bindings?: Record<string, unknown>;
  /** Where lines go; tests capture them to prove no phone number leaks. */
  write?: (line: string) => void;
}

/** JSON lines, one per event, with every phone number masked before it leaves the process. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const threshold = RANK[options.level];
  const bindings = options.bindings ?? {};
  const log = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    const record = {
      time: new Date().toISOString(),
      level,
      ...bindings,
      msg: maskPhoneNumbersIn(message),
      ...(fields ? (maskDeep(fields) as Record<string, unknown>) : {}),
    };
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...(maskDeep(more) as Record<string, unknown>) } }),
  };
}

/**
 * Uncaught exceptions and unhandled rejections are logged through `logger` — message and stack
 * masked like every other line — and the process exits 1. Without this Node prints the raw
 * stack, phone numbers included, to stderr. Install once per process, first thing in its main.
 */
export function installCrashHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  const crash = (kind: 'uncaught exception' | 'unhandled rejection') => (thrown: unknown) => {
    try {
      logger.error(`${kind}, exiting`, { error: thrown instanceof Error ? thrown : maskPhoneNumbersIn(String(thrown)) });
    } finally {
      exit(1);
    }
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
}
