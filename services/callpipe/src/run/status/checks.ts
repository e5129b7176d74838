import { appBusinessCheck } from './app-business.ts';
import type { StatusCheck } from './check.ts';
import { configurationCheck } from './configuration.ts';
import { deadLettersCheck } from './dead-letters.ts';
import { migrationsCheck } from './migrations.ts';
import { missingCdrsCheck } from './missing-cdrs.ts';
import { partitionsCheck } from './partitions.ts';
import { postgresCheck } from './postgres.ts';
import { queuesCheck } from './queues.ts';
import { recordingsCheck } from './recordings.ts';
import { redisCheck } from './redis.ts';
import { spoolCheck } from './spool.ts';

/** In the order the report lists them: dependencies first, then what flows through them. */
export const statusChecks: readonly StatusCheck[] = [
  redisCheck,
  postgresCheck,
  migrationsCheck,
  partitionsCheck,
  queuesCheck,
  deadLettersCheck,
  spoolCheck,
  missingCdrsCheck,
  recordingsCheck,
  appBusinessCheck,
  configurationCheck,
];
