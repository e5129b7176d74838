import { z } from 'zod';
import { contentKey } from './canonical.ts';
import { integerField, rejectionFromZod, sessionIdField, textField, timeField } from './field-checks.ts';
import type { Rejection } from './rejection.ts';
import { SESSION_ID_MAX_LENGTH } from './cdr-fields.ts';
import { knownStatusEventTypes, type NormalizeOptions, type StatusEvent } from './types.ts';

/** StatusInfo (spec §3.3). Unknown fields pass through untouched: they stay in the stored payload. */
const statusInfoSchema = z.looseObject({
  sessionId: sessionIdField(SESSION_ID_MAX_LENGTH),
  timestamp: timeField(),
  caller: textField(64),
  called: textField(64),
  stateCode: integerField(),
  stateDesc: textField(512),
  digitInfo: textField(256),
  userData: textField(1024),
  partyType: integerField(),
});

export type StatusEventResult = { ok: true; event: StatusEvent } | { ok: false; rejection: Rejection };

export function normalizeStatusEvent(
  eventType: string,
  statusInfo: Record<string, unknown>,
  options: Pick<NormalizeOptions, 'contentKeys'> = {},
): StatusEventResult {
  const parsed = statusInfoSchema.safeParse(statusInfo);
  if (!parsed.success) return { ok: false, rejection: rejectionFromZod(parsed.error, 'statusInfo') };
  const info = parsed.data;
  const payload = { eventType, statusInfo };
  return {
    ok: true,
    event: {
      sessionId: info.sessionId,
      eventType,
      known: (knownStatusEventTypes as readonly string[]).includes(eventType),
      eventKey: options.contentKeys === false ? '' : contentKey(payload),
      eventAt: info.timestamp ?? null,
      caller: info.caller ?? null,
      called: info.called ?? null,
      stateCode: info.stateCode ?? null,
      stateDesc: info.stateDesc ?? null,
      digitInfo: info.digitInfo ?? null,
      userData: info.userData ?? null,
      partyType: info.partyType ?? null,
      payload,
    },
  };
}
