import { readStoredForClassification, type Database } from '@callpipe/db';
import type { Kysely } from 'kysely';
import type { ValidEntry } from './prepare-item.ts';
import { differingFields } from './record-diff.ts';

export type Classification = { status: 'new' } | { status: 'stored_identical' } | { status: 'stored_different'; differingFields: string[] };

/**
 * What storing these records would meet, as stored now: a CDR is the same
 * when its content key matches the stored one; a status event when its event key matches one of
 * the call's events, and different when an event of its type and time is stored with other content.
 */
export async function classifyEntries(db: Kysely<Database>, entries: readonly ValidEntry[]): Promise<Classification[]> {
  const cdrSessions = [...new Set(entries.flatMap((entry) => (entry.kind === 'cdr' ? [entry.cdr.sessionId] : [])))];
  const eventSessions = [...new Set(entries.flatMap((entry) => (entry.kind === 'event' ? [entry.event.sessionId] : [])))];
  const { cdrs, events } = await readStoredForClassification(db, { cdrs: cdrSessions, events: eventSessions });
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
