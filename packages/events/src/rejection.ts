/**
 * Stable codes for everything callpipe refuses. They appear in HTTP answers, in
 * `rejected_pushes.reason_code` and as a metric label, so they never change meaning.
 */
export const rejectionCodes = [
  'body_too_large',
  'empty_body',
  'invalid_utf8',
  'invalid_json',
  'json_too_deep',
  'not_an_object',
  'missing_event_type',
  'invalid_event_type',
  'missing_status_info',
  'invalid_fee_list',
  'fee_list_size',
  'invalid_session_id',
  'invalid_field',
  'field_too_long',
  'invalid_characters',
  'invalid_timestamp',
  'timestamp_out_of_range',
] as const;

export type RejectionCode = (typeof rejectionCodes)[number];

export interface Rejection {
  code: RejectionCode;
  message: string;
}

export function isRejectionCode(value: string): value is RejectionCode {
  return (rejectionCodes as readonly string[]).includes(value);
}
