import type { CallOutcome, CallState } from '@callpipe/events';
import type { ColumnType, Generated } from 'kysely';

type Time = ColumnType<Date | null, string | null, string | null>;

/** One row per call (`session_id`), derived from the merged facts of all its events and its CDR. */
export interface CallsTable {
  session_id: string;
  business: string | null;
  business_source: string | null;
  app_key: string | null;
  state: CallState;
  outcome: CallOutcome;
  caller_number: string | null;
  called_number: string | null;
  forwarded_number: string | null;
  started_at: Time;
  ringing_at: Time;
  answered_at: Time;
  ended_at: Time;
  ring_seconds: number | null;
  talk_seconds: number | null;
  state_code: number | null;
  state_desc: string | null;
  state_code_desc: string | null;
  fail_reason: number | null;
  fail_reason_desc: string | null;
  collected_digits: string | null;
  user_data: string | null;
  has_cdr: boolean;
  leg_count: number;
  facts: ColumnType<unknown, string, string>;
  /**
   * UTC day (`YYYY-MM-DD`) callpipe first stored anything of the call: the partition of its events
   * and CDR. Receive-time bookkeeping, like `created_at`; no derived column depends on it.
   */
  call_day: ColumnType<string, string, never>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
