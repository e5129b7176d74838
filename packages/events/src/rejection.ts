/**
 * Stable codes for everything callpipe rejects. They appear in HTTP answers, in
 * `rejected_pushes.reason_code` and as a metric label, so they never change meaning. Only what
 * cannot be attributed to a call is rejected: no usable body, no event type, no session id.
 */
export const rejectionCodes = [
  'body_too_large',
  'empty_body',
  'invalid_json',
  'json_too_deep',
  'not_an_object',
  'missing_event_type',
  'invalid_event_type',
  'missing_status_info',
  'invalid_fee_list',
  'invalid_session_id',
] as const;

export type RejectionCode = (typeof rejectionCodes)[number];

/**
 * Codes no longer produced since pushes are normalized tolerantly (what they rejected is now
 * accepted with an anomaly), listed because rows stored before still carry them.
 */
export const retiredRejectionCodes = [
  'invalid_utf8',
  'invalid_characters',
  'fee_list_size',
  'invalid_field',
  'field_too_long',
  'invalid_timestamp',
  'timestamp_out_of_range',
] as const;

export interface Rejection {
  code: RejectionCode;
  message: string;
}

export function isRejectionCode(value: string): value is RejectionCode {
  return (rejectionCodes as readonly string[]).includes(value);
}
