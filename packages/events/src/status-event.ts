import type { Anomaly } from './anomaly.ts';
import { contentKey } from './canonical.ts';
import { SESSION_ID_MAX_LENGTH } from './cdr-fields.ts';
import { normalizeFields, readSessionId } from './field-checks.ts';
import type { Rejection } from './rejection.ts';
import { statusFieldSpecs, type StatusFieldName } from './status-fields.ts';
import { knownStatusEventTypes, type NormalizeOptions, type StatusEvent } from './types.ts';

export type StatusEventResult = { ok: true; event: StatusEvent } | { ok: false; rejection: Rejection };

/**
 * StatusInfo (spec §3.3). Only the session id can reject the event; every other field is read
 * tolerantly. Unknown fields pass through untouched: they stay in the stored payload.
 */
export function normalizeStatusEvent(
  eventType: string,
  statusInfo: Record<string, unknown>,
  options: Pick<NormalizeOptions, 'contentKeys'> = {},
): StatusEventResult {
  const identity = readSessionId(statusInfo['sessionId'], SESSION_ID_MAX_LENGTH, 'statusInfo');
  if (!identity.ok) return identity;
  const anomalies: Anomaly[] = identity.anomaly === null ? [] : [identity.anomaly];
  const { values } = normalizeFields(statusFieldSpecs, statusInfo, anomalies);
  const field = <T extends string | number>(name: StatusFieldName) => values[name] as T | null;
  const payload = { eventType, statusInfo };
  return {
    ok: true,
    event: {
      sessionId: identity.sessionId,
      eventType,
      known: (knownStatusEventTypes as readonly string[]).includes(eventType),
      eventKey: options.contentKeys === false ? '' : contentKey(payload),
      eventAt: field<string>('timestamp'),
      caller: field<string>('caller'),
      called: field<string>('called'),
      stateCode: field<number>('stateCode'),
      stateDesc: field<string>('stateDesc'),
      digitInfo: field<string>('digitInfo'),
      userData: field<string>('userData'),
      partyType: field<number>('partyType'),
      anomalies,
      payload,
    },
  };
}
