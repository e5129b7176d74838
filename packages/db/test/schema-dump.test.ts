import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testContext } from '@callpipe/testkit';
import { dumpSchema } from '../src/schema-dump.ts';

// The committed schema.sql is what migrations produce; a migration that changes the schema without
// the dump (or a hand edit of the dump) fails here.
describe('schema.sql', () => {
  it('matches the schema the migrations create', async () => {
    const database = await testContext().createDatabase();
    try {
      const committed = readFileSync(new URL('../schema.sql', import.meta.url), 'utf8');
      expect(
        dumpSchema(database.url),
        'the migrated schema differs from packages/db/schema.sql: run `pnpm --filter @callpipe/db schema:dump`',
      ).toBe(committed);
    } finally {
      await database.drop();
    }
  });
});
