import type { Database } from '@callpipe/db';
import { sql, type Kysely } from 'kysely';
import type { ValidEntry } from './prepare-item.ts';
import { differingFields } from './record-diff.ts';

export type Classification = { status: 'new' } | { status: 'stored_identical' } | { status: 'stored_different'; differingFields: string[] };

/**
 * What storing these records would meet, looked up in one read-only transaction: a CDR is the same
 * when its content key matches the stored one; a status event when its event key matches one of
 * the call's events, and different when an event of its type and time is stored with other content.
 */
export async function classifyEntries(db: Kysely<Database>, entries: readonly ValidEntry[]): Promise<Classification[]> {
  const cdrSessions = [...new Set(entries.flatMap((entry) => (entry.kind === 'cdr' ? [entry.cdr.sessionId] : [])))];
  const eventSessions = [...new Set(entries.flatMap((entry) => (entry.kind === 'event' ? [entry.event.sessionId] : [])))];
  const { cdrs, events } = await db
    .transaction()
    .setAccessMode('read only')
    .execute(async (trx) => ({
      cdrs:
        cdrSessions.length === 0
          ? []
          : (
              await sql<{ session_id: string; record_key: string; record: unknown }>`
              SELECT session_id, record_key, record FROM cdrs WHERE session_id = ANY(${cdrSessions}::text[])`.execute(trx)
            ).rows,
      events:
        eventSessions.length === 0
          ? []
          : (
              await sql<{
                session_id: string;
                event_key: string;
                event_type: string;
                event_at: Date | null;
                payload: { statusInfo?: unknown };
              }>`
              SELECT session_id, event_key, event_type, event_at, payload FROM call_events WHERE session_id = ANY(${eventSessions}::text[])`.execute(
                trx,
              )
            ).rows,
    }));
  const cdrBySession = new Map(cdrs.map((row) => [row.session_id, row]));
  const eventsBySession = new Map<string, typeof events>();
  for (const row of events) eventsBySession.set(row.session_id, [...(eventsBySession.get(row.session_id) ?? []), row]);

  return entries.map((entry): Classification => {
    if (entry.kind === 'cdr') {
      const stored = cdrBySession.get(entry.cdr.sessionId);
      if (!stored) return { status: 'new' };
      if (stored.record_key === entry.cdr.recordKey) return { status: 'stored_identical' };
      return { status: 'stored_different', differingFields: differingFields(stored.record, entry.cdr.record) };
    }
    const event = entry.event;
    const stored = eventsBySession.get(event.sessionId) ?? [];
    if (stored.some((row) => row.event_key === event.eventKey)) return { status: 'stored_identical' };
    const sameMoment = stored.find((row) => row.event_type === event.eventType && (row.event_at?.toISOString() ?? null) === event.eventAt);
    if (!sameMoment) return { status: 'new' };
    return { status: 'stored_different', differingFields: differingFields(sameMoment.payload.statusInfo, event.payload.statusInfo) };
  });
}
