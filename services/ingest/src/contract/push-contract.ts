import { z } from 'zod';
import {
  cdrFieldSpecs,
  knownStatusEventTypes,
  MAX_FEE_RECORDS,
  rejectionCodes,
  SESSION_ID_MAX_LENGTH,
  statusFieldSpecs,
  type FieldSpec,
  type RejectionCode,
} from '@callpipe/events';
import type { VerifyFailureCode } from '@callpipe/auth';

// The push endpoint as a contract for the platform's side: zod schemas that *describe* the bodies
// and answers, from which infra/openapi/openapi.json is generated. Descriptive and tolerant like
// the ingest itself: strict only about what attributes a push to a call (eventType, statusInfo or
// feeLst, sessionId), documented types for everything else, unknown fields allowed. The parsing
// that decides stays in @callpipe/events; nothing here does I/O.

const TIME_DESCRIPTION =
  'Documented as `yyyy-MM-dd HH:mm:ss` in UTC; ISO 8601 and UNIX seconds or milliseconds are read too, anything else is kept with an anomaly.';

/**
 * A documented field: its type as Huawei documents it, widened to the spellings senders use and the
 * model reads (numbers as strings and strings as numbers, fractions, flags as booleans).
 */
function documentedField(spec: FieldSpec) {
  const kind = spec.kind;
  if (kind === 'integer')
    return z.union([z.number(), z.string(), ...(spec.flag ? [z.boolean()] : [])]).meta({
      description: `Documented as an integer${spec.flag ? ' flag (0/1)' : ''}; a numeric string is read too, a fraction is kept with an anomaly.`,
    });
  if (kind === 'time') return z.union([z.string(), z.number()]).meta({ description: TIME_DESCRIPTION, examples: ['2024-06-11 02:30:15'] });
  return z.union([z.string(), z.number()]).meta({
    description: `A string; a bare number is read as its digits. At most ${spec.maxLength} characters are stored in the column; the payload keeps the rest.`,
  });
}

const fields = (specs: readonly FieldSpec[]) => Object.fromEntries(specs.map((spec) => [spec.name, documentedField(spec).optional()]));

const sessionId = z
  .union([z.string().min(1).max(SESSION_ID_MAX_LENGTH), z.number()])
  .meta({ description: 'Identifies the call; every leg and the CDR carry it. A number is read as its decimal text.' });

export const statusInfoSchema = z.looseObject({ sessionId, ...fields(statusFieldSpecs) }).meta({
  id: 'StatusInfo',
  description: 'StatusInfo of a status push (spec §3.3). Unknown fields are kept in the stored payload.',
});

export const statusPushSchema = z
  .looseObject({
    eventType: z
      .string()
      .regex(/^(?!fee$)./, 'a status event type, not fee')
      .meta({
        description: `One of ${knownStatusEventTypes.join(', ')}; another non-empty value is stored as an unknown event with an anomaly.`,
        examples: [...knownStatusEventTypes],
      }),
    statusInfo: statusInfoSchema,
  })
  .meta({ id: 'StatusPush', description: 'A call status event: one push per state change of one leg.' });

// sessionId is not required here: a record without one is refused alone, the others are stored.
export const feeInfoSchema = z.looseObject({ sessionId: sessionId.optional(), ...fields(cdrFieldSpecs) }).meta({
  id: 'FeeInfo',
  description:
    'One CDR (spec §4.2). A record without a usable sessionId is refused alone (kept in rejected_pushes); the others are stored.',
});

export const feePushSchema = z
  .looseObject({
    eventType: z.literal('fee'),
    feeLst: z
      .array(feeInfoSchema)
      .min(1)
      .meta({
        description: `CDRs, documented as 1–${MAX_FEE_RECORDS} per push; more are accepted with an anomaly. At least one must carry a sessionId.`,
        // JSON Schema only (zod has no "contains"): the push is refused when no record names a call.
        contains: { type: 'object', properties: { sessionId: {} }, required: ['sessionId'] },
      }),
  })
  .meta({ id: 'FeePush', description: 'CDRs of finished calls (call detail records, `eventType: "fee"`).' });

export const pushBodySchema = z.union([feePushSchema, statusPushSchema]).meta({ id: 'PushBody' });

export const successBodySchema = z
  .strictObject({ resultcode: z.literal('0'), resultdesc: z.literal('Success') })
  .meta({ id: 'Success', description: 'Sent only once the push is in the Redis queue or fsync’d in the ingest’s disk spool.' });

/** Every error the push routes answer, by status; the codes are stable (metrics, rejected_pushes). */
export const pushErrorCodes = {
  400: rejectionCodes.filter((code): code is Exclude<RejectionCode, 'body_too_large'> => code !== 'body_too_large'),
  401: [
    'missing_signature',
    'malformed_signature',
    'unknown_app_key',
    'bad_signature',
    'stale_created',
    'future_created',
    'replayed_nonce',
  ],
  403: ['source_not_allowed'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  413: ['body_too_large'],
  500: ['internal_error'],
  503: ['queue_unavailable'],
} as const satisfies Record<number, readonly string[]>;

// Compile-time: every signature failure the verifier can name is listed under 401.
type Listed401 = (typeof pushErrorCodes)[401][number];
export const signatureCodesListed: Exclude<VerifyFailureCode, Listed401> extends never ? true : never = true;

export const pushErrorDescriptions: Record<keyof typeof pushErrorCodes, string> = {
  400: 'The body belongs to no call: not JSON, no event type, no statusInfo/feeLst, no usable sessionId. Kept in rejected_pushes; re-sending the same bytes gets the same answer.',
  401: 'Signature check failed (INGEST_SIGNATURE_MODE=enforce): the X-AKSK header is missing, malformed, signed with an unknown app key or a wrong secret, too old or too new, or its nonce was used before.',
  403: 'The source address is not in INGEST_ALLOWED_SOURCES.',
  404: 'No push route at this path (with INGEST_PATH_SECRET, the bare routes answer 404 too).',
  405: 'The push routes take only POST.',
  413: 'The body exceeds INGEST_BODY_LIMIT_BYTES; the first bytes are kept in rejected_pushes.',
  500: 'An unexpected error; nothing about it is echoed.',
  503: 'The push could be stored neither in Redis nor in the disk spool: retry later (the platform re-pushes CDRs).',
};

export function errorBodySchema(codes: readonly string[]) {
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(codes as [string, ...string[]]),
      message: z.string().meta({ description: 'For people; may change. Match on `code`.' }),
    }),
  });
}
