import { sql, type Kysely } from 'kysely';

// Migrations are frozen history: they never import application code, so a later change to the event
// model cannot silently change what an old migration does.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE push_deliveries (
      delivery_id uuid PRIMARY KEY,
      push_kind text NOT NULL CHECK (push_kind IN ('status', 'fee')),
      source text NOT NULL,
      received_at timestamptz NOT NULL,
      stored_at timestamptz NOT NULL DEFAULT now(),
      record_count integer NOT NULL,
      rejected_record_count integer NOT NULL DEFAULT 0
    );
    CREATE INDEX push_deliveries_received_at_idx ON push_deliveries (received_at);

    CREATE TABLE call_events (
      session_id text NOT NULL,
      event_key text NOT NULL,
      event_type text NOT NULL,
      known_event_type boolean NOT NULL,
      event_at timestamptz,
      caller text,
      called text,
      state_code integer,
      state_desc text,
      digit_info text,
      user_data text,
      party_type integer,
      payload jsonb NOT NULL,
      delivery_count integer NOT NULL CHECK (delivery_count > 0),
      first_received_at timestamptz NOT NULL,
      last_received_at timestamptz NOT NULL,
      PRIMARY KEY (session_id, event_key)
    );
    CREATE INDEX call_events_event_at_idx ON call_events (event_at);

    CREATE TABLE cdrs (
      session_id text PRIMARY KEY,
      record_key text NOT NULL,
      field_count integer NOT NULL,
      business text CHECK (business IN ('click2call', 'notify', 'verify')),
      business_source text,
      direction integer,
      sp_id text,
      app_key text,
      icid text,
      bind_num text,
      caller_num text,
      callee_num text,
      fwd_display_num text,
      fwd_dst_num text,
      call_in_time timestamptz,
      fwd_start_time timestamptz,
      fwd_alerting_time timestamptz,
      fwd_answer_time timestamptz,
      call_end_time timestamptz,
      fwd_unasw_rsn integer,
      fail_time timestamptz,
      ul_fail_reason integer,
      sip_status_code integer,
      call_out_start_time timestamptz,
      call_out_alerting_time timestamptz,
      call_out_answer_time timestamptz,
      call_out_unasw_rsn integer,
      dyn_ivr_start_time timestamptz,
      dyn_ivr_path text,
      record_flag integer,
      record_start_time timestamptz,
      record_object_name text,
      record_bucket_name text,
      record_domain text,
      record_file_download_url text,
      tts_play_times integer,
      tts_trans_duration integer,
      service_type text,
      host_name text,
      user_data text,
      ring_seconds integer,
      talk_seconds integer,
      call_out_leg_seconds integer,
      fwd_leg_seconds integer,
      billable_minutes integer NOT NULL,
      ul_fail_reason_desc text,
      fwd_unasw_rsn_desc text,
      call_out_unasw_rsn_desc text,
      record jsonb NOT NULL,
      delivery_count integer NOT NULL CHECK (delivery_count > 0),
      first_received_at timestamptz NOT NULL,
      last_received_at timestamptz NOT NULL
    );
    CREATE INDEX cdrs_call_end_time_idx ON cdrs (call_end_time);
    CREATE INDEX cdrs_app_key_call_end_time_idx ON cdrs (app_key, call_end_time);

    CREATE TABLE calls (
      session_id text PRIMARY KEY,
      business text CHECK (business IN ('click2call', 'notify', 'verify')),
      business_source text,
      app_key text,
      state text NOT NULL CHECK (state IN ('unknown', 'dialing', 'ringing', 'answered', 'ended')),
      outcome text NOT NULL CHECK (outcome IN ('in_progress', 'answered', 'unanswered', 'failed')),
      caller_number text,
      called_number text,
      forwarded_number text,
      started_at timestamptz,
      ringing_at timestamptz,
      answered_at timestamptz,
      ended_at timestamptz,
      ring_seconds integer,
      talk_seconds integer,
      state_code integer,
      state_desc text,
      state_code_desc text,
      fail_reason integer,
      fail_reason_desc text,
      collected_digits text,
      user_data text,
      has_cdr boolean NOT NULL,
      leg_count integer NOT NULL,
      facts jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX calls_started_at_idx ON calls (started_at);
    CREATE INDEX calls_ended_at_idx ON calls (ended_at);
    CREATE INDEX calls_business_started_at_idx ON calls (business, started_at);
    CREATE INDEX calls_ended_without_cdr_idx ON calls (ended_at) WHERE state = 'ended' AND NOT has_cdr;

    CREATE TABLE rejected_pushes (
      id bigserial PRIMARY KEY,
      rejection_key text NOT NULL UNIQUE,
      delivery_id uuid,
      record_index integer,
      stage text NOT NULL CHECK (stage IN ('ingest', 'worker')),
      reason_code text NOT NULL,
      reason_message text NOT NULL,
      source text NOT NULL,
      content_type text,
      received_at timestamptz NOT NULL,
      body bytea,
      body_truncated boolean NOT NULL DEFAULT false,
      record jsonb,
      stored_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX rejected_pushes_received_at_idx ON rejected_pushes (received_at);
    CREATE INDEX rejected_pushes_reason_code_idx ON rejected_pushes (reason_code);

    CREATE TABLE ref_state_codes (code integer PRIMARY KEY, description text NOT NULL);
    CREATE TABLE ref_fail_reasons (code integer PRIMARY KEY, description text NOT NULL);
    CREATE TABLE ref_q850_causes (code integer PRIMARY KEY, description text NOT NULL);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE ref_q850_causes, ref_fail_reasons, ref_state_codes, rejected_pushes, calls, cdrs, call_events, push_deliveries;
  `.execute(db);
}
