import type { Anomaly } from '@callpipe/events';
import type { ColumnType } from 'kysely';

type Time = ColumnType<Date | null, string | null, string | null>;

/** One row per call's CDR, every documented field as a column plus the original record. */
export interface CdrsTable {
  session_id: string;
  record_key: string;
  field_count: number;
  business: string | null;
  business_source: string | null;
  direction: number | null;
  sp_id: string | null;
  app_key: string | null;
  icid: string | null;
  bind_num: string | null;
  caller_num: string | null;
  callee_num: string | null;
  fwd_display_num: string | null;
  fwd_dst_num: string | null;
  call_in_time: Time;
  fwd_start_time: Time;
  fwd_alerting_time: Time;
  fwd_answer_time: Time;
  call_end_time: Time;
  fwd_unasw_rsn: number | null;
  fail_time: Time;
  ul_fail_reason: number | null;
  sip_status_code: number | null;
  call_out_start_time: Time;
  call_out_alerting_time: Time;
  call_out_answer_time: Time;
  call_out_unasw_rsn: number | null;
  dyn_ivr_start_time: Time;
  dyn_ivr_path: string | null;
  record_flag: number | null;
  record_start_time: Time;
  record_object_name: string | null;
  record_bucket_name: string | null;
  record_domain: string | null;
  record_file_download_url: string | null;
  tts_play_times: number | null;
  tts_trans_duration: number | null;
  service_type: string | null;
  host_name: string | null;
  user_data: string | null;
  ring_seconds: number | null;
  talk_seconds: number | null;
  call_out_leg_seconds: number | null;
  fwd_leg_seconds: number | null;
  billable_minutes: number;
  ul_fail_reason_desc: string | null;
  fwd_unasw_rsn_desc: string | null;
  call_out_unasw_rsn_desc: string | null;
  /** Started minutes billed on each leg (the forwarded leg only for click-to-call, else NULL). */
  call_out_minutes: number | null;
  fwd_minutes: number | null;
  /** What each leg costs by the tariff valid at the call's time, numeric(20,6) as text; NULL without a tariff. */
  call_out_cost: string | null;
  fwd_cost: string | null;
  /** Set only when every billed leg is rated in one currency. */
  total_cost: string | null;
  cost_currency: string | null;
  call_out_tariff_id: number | null;
  fwd_tariff_id: number | null;
  record: ColumnType<unknown, string, string>;
  /** Values of the record that did not fit the model, with their originals; they follow the record that won. */
  anomalies: ColumnType<Anomaly[], string | undefined, string>;
  delivery_count: number;
  first_received_at: ColumnType<Date, string, string>;
  last_received_at: ColumnType<Date, string, string>;
  /** The call's `calls.call_day`: the partition key, the same for every delivery of the row. */
  call_day: ColumnType<string, string, never>;
}
