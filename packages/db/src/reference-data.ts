import { describeFailReason, failReasonDescriptions, q850CauseDescriptions, stateCodeDescriptions } from '@callpipe/events';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

/**
 * Mirrors the event model's code tables into `ref_*` tables so dashboards can join codes to their
 * meaning. Run after every migration: the tables follow the code, not a frozen migration.
 */
export async function syncReferenceData(db: Kysely<Database>): Promise<void> {
  const failReasons = new Map(failReasonDescriptions);
  // Appendix 2 says 8002–8105 mirror the stateCode table; store those as fail reasons too.
  for (const code of stateCodeDescriptions.keys()) {
    const description = describeFailReason(code);
    if (description !== null && !failReasons.has(code)) failReasons.set(code, description);
  }
  await db.transaction().execute(async (trx) => {
    for (const [table, entries] of [
      ['ref_state_codes', stateCodeDescriptions],
      ['ref_fail_reasons', failReasons],
      ['ref_q850_causes', q850CauseDescriptions],
    ] as const) {
      await sql`DELETE FROM ${sql.table(table)}`.execute(trx);
      const rows = [...entries].map(([code, description]) => ({ code, description }));
      if (rows.length > 0) await trx.insertInto(table).values(rows).execute();
    }
  });
}
