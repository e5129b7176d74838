import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supersedesCdr, type CdrVersion } from '@callpipe/events';
import { testContext, type TestDatabase } from '@callpipe/testkit';
import { cdrSupersedesSql } from '../src/upsert-cdrs.ts';

const key = (text: string) => createHash('sha256').update(text).digest('hex');

// Pairs across the cases of the rule: field counts that differ (either way, across a digit
// boundary), equal counts with content keys that differ early or late, and a version against itself.
const versions: CdrVersion[] = [
  { fieldCount: 9, recordKey: key('a') },
  { fieldCount: 10, recordKey: key('a') },
  { fieldCount: 10, recordKey: key('b') },
  { fieldCount: 21, recordKey: key('c') },
  { fieldCount: 21, recordKey: `${key('c').slice(0, 63)}0` },
  { fieldCount: 21, recordKey: '' },
];

describe('the CDR version rule', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await testContext().createDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('when the SQL form in the cdrs upsert decides between two versions, then it agrees with supersedesCdr', async () => {
    const pairs = versions.flatMap((candidate) => versions.map((current) => ({ candidate, current })));
    const rows = pairs.map(({ candidate, current }) => ({
      candidate: { field_count: candidate.fieldCount, record_key: candidate.recordKey },
      current: { field_count: current.fieldCount, record_key: current.recordKey },
    }));
    // As rows of cdrs' own row type, so the comparison uses the columns' types and collation.
    const decided = await sql<{ wins: boolean }>`
      SELECT ${sql.raw(cdrSupersedesSql('candidate', 'current'))} AS wins
      FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS p(pair, n),
        LATERAL jsonb_populate_record(NULL::cdrs, p.pair->'candidate') AS candidate,
        LATERAL jsonb_populate_record(NULL::cdrs, p.pair->'current') AS current
      ORDER BY p.n`.execute(database.db);
    expect(decided.rows.map((row) => row.wins)).toEqual(pairs.map(({ candidate, current }) => supersedesCdr(candidate, current)));
    expect(decided.rows.filter((row) => row.wins).length).toBeGreaterThan(0);
  });
});
