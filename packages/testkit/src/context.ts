import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './databases.ts';
import './provided-context.ts';

/** What a test file needs: Redis, and a fresh migrated database of its own (or the server, to make other ones). */
export function testContext(): { redisUrl: string; databaseServerUrl: string; createDatabase: () => Promise<TestDatabase> } {
  const redisUrl = inject('redisUrl');
  const serverUrl = inject('databaseServerUrl');
  const template = inject('templateDatabase');
  return { redisUrl, databaseServerUrl: serverUrl, createDatabase: () => createTestDatabase(serverUrl, template) };
}
