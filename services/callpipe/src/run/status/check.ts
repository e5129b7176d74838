import type { createDatabase } from '@callpipe/db';
import type { PushQueue, RedisClient } from '@callpipe/queue';
import type { StatusEnv } from './env.ts';

export const checkStatuses = ['ok', 'warn', 'action'] as const;
/** `ok` nothing to do; `warn` worth a look; `action` someone has to do something (exit 1). */
export type CheckStatus = (typeof checkStatuses)[number];

/** What one check found: a line for people (`detail`) and the numbers behind it for scripts (`data`). */
export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  data: Record<string, unknown>;
}

export type Db = ReturnType<typeof createDatabase>;

/** What checks share; connections are opened once, on first use, and a failure to connect is remembered. */
export interface StatusContext {
  config: StatusEnv;
  env: NodeJS.ProcessEnv;
  now: Date;
  postgres: () => Promise<Db>;
  redis: () => Promise<{ client: RedisClient; queues: PushQueue[] }>;
}

/** `tables`: Postgres reachable and the call tables migrated (partitions, CDRs). */
export type Need = 'postgres' | 'redis' | 'tables';

/**
 * One independent check of `callpipe status`. `needs` names the connections it uses: when one
 * cannot be made, the check is reported as not run (the redis or postgres check says why) instead
 * of failing a second time. Add a check by writing a module like the others and listing it in
 * checks.ts.
 */
export interface StatusCheck {
  name: string;
  needs: readonly Need[];
  run: (ctx: StatusContext) => Promise<Omit<CheckResult, 'name'>>;
}

export const result = (status: CheckStatus, detail: string, data: Record<string, unknown> = {}) => ({ status, detail, data });

/** The worst of the statuses: what the whole report says. */
export function overall(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.includes('action') ? 'action' : statuses.includes('warn') ? 'warn' : 'ok';
}

const n = (value: number) => value.toLocaleString('en-US');
export const plural = (count: number, noun: string, nouns = `${noun}s`) => `${n(count)} ${count === 1 ? noun : nouns}`;

/** A URL as it may be printed: the password replaced. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^:/@]*:)[^@/]*@/g, '$1***@');
}

export function seconds(value: number): string {
  if (value < 120) return `${Math.round(value)} s`;
  if (value < 7_200) return `${Math.round(value / 60)} min`;
  return `${(value / 3_600).toFixed(1)} h`;
}
