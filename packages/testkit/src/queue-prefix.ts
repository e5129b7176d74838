import { randomUUID } from 'node:crypto';

/** A BullMQ key prefix of its own per test, so tests sharing one Redis never see each other's jobs. */
export function uniqueQueuePrefix(label = 'test'): string {
  return `cptest-${label}-${randomUUID().slice(0, 8)}`;
}
