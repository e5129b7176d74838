import type { Anomaly } from '@callpipe/events';
import type { ColumnType } from 'kysely';

/** One row per distinct status event; redeliveries only bump `delivery_count`. */
export interface CallEventsTable {
  session_id: string;
  event_key: string;
  event_type: string;
  known_event_type: boolean;
  event_at: ColumnType<Date | null, string | null, never>;
  caller: string | null;
  called: string | null;
  state_code: number | null;
  state_desc: string | null;
  digit_info: string | null;
  user_data: string | null;
  party_type: number | null;
  payload: ColumnType<unknown, string, never>;
  /** Values of the payload that did not fit the model, with their originals (see the events anomaly codes). */
  anomalies: ColumnType<Anomaly[], string | undefined, string>;
  delivery_count: number;
  first_received_at: ColumnType<Date, string, string>;
  last_received_at: ColumnType<Date, string, string>;
  /** The call's `calls.call_day`: the partition key, the same for every delivery of the row. */
  call_day: ColumnType<string, string, never>;
}
