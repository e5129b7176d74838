import type { Kysely, Selectable } from 'kysely';
import type { Database } from './database.ts';
import type { CallEventsTable } from './tables/call-events.ts';
import type { CdrsTable } from './tables/cdrs.ts';

// What a replay's dry run compares its records with (@callpipe/replay `classifyEntries`).

export interface StoredForClassification {
  cdrs: Array<Pick<Selectable<CdrsTable>, 'session_id' | 'record_key' | 'record'>>;
  events: Array<
    Pick<Selectable<CallEventsTable>, 'session_id' | 'event_key' | 'event_type' | 'event_at'> & {
      /** A stored status push, as received. */
      payload: { statusInfo?: unknown };
    }
  >;
}

/** The stored CDRs and status events of these calls, read in one read-only transaction, on any day. */
export async function readStoredForClassification(
  db: Kysely<Database>,
  sessions: { cdrs: readonly string[]; events: readonly string[] },
): Promise<StoredForClassification> {
  return db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => ({
      cdrs:
        sessions.cdrs.length === 0
          ? []
          : await trx
              .selectFrom('cdrs')
              .select(['session_id', 'record_key', 'record'])
              .where('session_id', '=', (eb) => eb.fn.any(eb.val(sessions.cdrs)))
              .execute(),
      events:
        sessions.events.length === 0
          ? []
          : await trx
              .selectFrom('call_events')
              .select(['session_id', 'event_key', 'event_type', 'event_at'])
              .select((eb) => eb.ref('payload').$castTo<{ statusInfo?: unknown }>().as('payload'))
              .where('session_id', '=', (eb) => eb.fn.any(eb.val(sessions.events)))
              .execute(),
    }));
}
