CREATE FUNCTION public.callpipe_call_order(session_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN substr(session_id, (strpos(session_id, '@'::text) - 14), 14);

CREATE TABLE public.billing_contributions (
    session_id text NOT NULL,
    billing_day date NOT NULL,
    app_key text NOT NULL,
    business text NOT NULL,
    currency text NOT NULL,
    calls integer NOT NULL,
    answered integer NOT NULL,
    unanswered integer NOT NULL,
    failed integer NOT NULL,
    talk_seconds bigint NOT NULL,
    call_out_minutes bigint NOT NULL,
    fwd_minutes bigint NOT NULL,
    cost numeric(20,6),
    cdrs integer NOT NULL,
    cdrs_missing integer NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_vacuum_insert_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');

CREATE TABLE public.billing_daily (
    billing_day date NOT NULL,
    app_key text NOT NULL,
    business text NOT NULL,
    currency text NOT NULL,
    calls bigint NOT NULL,
    answered bigint NOT NULL,
    unanswered bigint NOT NULL,
    failed bigint NOT NULL,
    talk_seconds bigint NOT NULL,
    call_out_minutes bigint NOT NULL,
    fwd_minutes bigint NOT NULL,
    cost numeric(20,6),
    cdrs bigint NOT NULL,
    cdrs_missing bigint NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.call_events (
    session_id text NOT NULL,
    event_key text NOT NULL,
    event_type text NOT NULL,
    known_event_type boolean NOT NULL,
    event_at timestamp with time zone,
    caller text,
    called text,
    state_code integer,
    state_desc text,
    digit_info text,
    user_data text,
    party_type integer,
    payload jsonb NOT NULL,
    delivery_count integer NOT NULL,
    first_received_at timestamp with time zone NOT NULL,
    last_received_at timestamp with time zone NOT NULL,
    call_day date NOT NULL,
    anomalies jsonb DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT call_events_delivery_count_check CHECK ((delivery_count > 0))
)
PARTITION BY RANGE (call_day);
ALTER TABLE ONLY public.call_events ALTER COLUMN payload SET STATISTICS 0;

CREATE TABLE public.call_events_default (
    session_id text NOT NULL,
    event_key text NOT NULL,
    event_type text NOT NULL,
    known_event_type boolean NOT NULL,
    event_at timestamp with time zone,
    caller text,
    called text,
    state_code integer,
    state_desc text,
    digit_info text,
    user_data text,
    party_type integer,
    payload jsonb NOT NULL,
    delivery_count integer NOT NULL,
    first_received_at timestamp with time zone NOT NULL,
    last_received_at timestamp with time zone NOT NULL,
    call_day date NOT NULL,
    anomalies jsonb DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT call_events_delivery_count_check CHECK ((delivery_count > 0))
);
ALTER TABLE ONLY public.call_events_default ALTER COLUMN payload SET STATISTICS 0;

CREATE TABLE public.calls (
    session_id text NOT NULL,
    business text,
    business_source text,
    app_key text,
    state text NOT NULL,
    outcome text NOT NULL,
    caller_number text,
    called_number text,
    forwarded_number text,
    started_at timestamp with time zone,
    ringing_at timestamp with time zone,
    answered_at timestamp with time zone,
    ended_at timestamp with time zone,
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
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    call_day date NOT NULL,
    CONSTRAINT calls_business_check CHECK ((business = ANY (ARRAY['click2call'::text, 'notify'::text, 'verify'::text]))),
    CONSTRAINT calls_outcome_check CHECK ((outcome = ANY (ARRAY['in_progress'::text, 'answered'::text, 'unanswered'::text, 'failed'::text]))),
    CONSTRAINT calls_state_check CHECK ((state = ANY (ARRAY['unknown'::text, 'dialing'::text, 'ringing'::text, 'answered'::text, 'ended'::text])))
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_vacuum_insert_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');
ALTER TABLE ONLY public.calls ALTER COLUMN facts SET STATISTICS 0;

CREATE TABLE public.cdrs (
    session_id text NOT NULL,
    record_key text NOT NULL,
    field_count integer NOT NULL,
    business text,
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
    call_in_time timestamp with time zone,
    fwd_start_time timestamp with time zone,
    fwd_alerting_time timestamp with time zone,
    fwd_answer_time timestamp with time zone,
    call_end_time timestamp with time zone,
    fwd_unasw_rsn integer,
    fail_time timestamp with time zone,
    ul_fail_reason integer,
    sip_status_code integer,
    call_out_start_time timestamp with time zone,
    call_out_alerting_time timestamp with time zone,
    call_out_answer_time timestamp with time zone,
    call_out_unasw_rsn integer,
    dyn_ivr_start_time timestamp with time zone,
    dyn_ivr_path text,
    record_flag integer,
    record_start_time timestamp with time zone,
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
    delivery_count integer NOT NULL,
    first_received_at timestamp with time zone NOT NULL,
    last_received_at timestamp with time zone NOT NULL,
    call_day date NOT NULL,
    anomalies jsonb DEFAULT '[]'::jsonb NOT NULL,
    call_out_minutes integer,
    fwd_minutes integer,
    call_out_cost numeric(20,6),
    fwd_cost numeric(20,6),
    total_cost numeric(20,6),
    cost_currency text,
    call_out_tariff_id integer,
    fwd_tariff_id integer,
    CONSTRAINT cdrs_business_check CHECK ((business = ANY (ARRAY['click2call'::text, 'notify'::text, 'verify'::text]))),
    CONSTRAINT cdrs_delivery_count_check CHECK ((delivery_count > 0))
)
PARTITION BY RANGE (call_day);
ALTER TABLE ONLY public.cdrs ALTER COLUMN record SET STATISTICS 0;

CREATE TABLE public.cdrs_default (
    session_id text NOT NULL,
    record_key text NOT NULL,
    field_count integer NOT NULL,
    business text,
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
    call_in_time timestamp with time zone,
    fwd_start_time timestamp with time zone,
    fwd_alerting_time timestamp with time zone,
    fwd_answer_time timestamp with time zone,
    call_end_time timestamp with time zone,
    fwd_unasw_rsn integer,
    fail_time timestamp with time zone,
    ul_fail_reason integer,
    sip_status_code integer,
    call_out_start_time timestamp with time zone,
    call_out_alerting_time timestamp with time zone,
    call_out_answer_time timestamp with time zone,
    call_out_unasw_rsn integer,
    dyn_ivr_start_time timestamp with time zone,
    dyn_ivr_path text,
    record_flag integer,
    record_start_time timestamp with time zone,
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
    delivery_count integer NOT NULL,
    first_received_at timestamp with time zone NOT NULL,
    last_received_at timestamp with time zone NOT NULL,
    call_day date NOT NULL,
    anomalies jsonb DEFAULT '[]'::jsonb NOT NULL,
    call_out_minutes integer,
    fwd_minutes integer,
    call_out_cost numeric(20,6),
    fwd_cost numeric(20,6),
    total_cost numeric(20,6),
    cost_currency text,
    call_out_tariff_id integer,
    fwd_tariff_id integer,
    CONSTRAINT cdrs_business_check CHECK ((business = ANY (ARRAY['click2call'::text, 'notify'::text, 'verify'::text]))),
    CONSTRAINT cdrs_delivery_count_check CHECK ((delivery_count > 0))
);
ALTER TABLE ONLY public.cdrs_default ALTER COLUMN record SET STATISTICS 0;

CREATE TABLE public.push_deliveries (
    delivery_id uuid NOT NULL,
    push_kind text NOT NULL,
    source text NOT NULL,
    received_at timestamp with time zone NOT NULL,
    stored_at timestamp with time zone DEFAULT now() NOT NULL,
    record_count integer NOT NULL,
    rejected_record_count integer DEFAULT 0 NOT NULL,
    anomalies jsonb DEFAULT '[]'::jsonb NOT NULL,
    original_body bytea,
    CONSTRAINT push_deliveries_push_kind_check CHECK ((push_kind = ANY (ARRAY['status'::text, 'fee'::text])))
)
PARTITION BY RANGE (received_at);

CREATE TABLE public.push_deliveries_default (
    delivery_id uuid NOT NULL,
    push_kind text NOT NULL,
    source text NOT NULL,
    received_at timestamp with time zone NOT NULL,
    stored_at timestamp with time zone DEFAULT now() NOT NULL,
    record_count integer NOT NULL,
    rejected_record_count integer DEFAULT 0 NOT NULL,
    anomalies jsonb DEFAULT '[]'::jsonb NOT NULL,
    original_body bytea,
    CONSTRAINT push_deliveries_push_kind_check CHECK ((push_kind = ANY (ARRAY['status'::text, 'fee'::text])))
);

CREATE TABLE public.recordings (
    session_id text NOT NULL,
    app_key text,
    object_name text NOT NULL,
    record_domain text,
    bucket_name text,
    download_url text,
    talk_seconds integer,
    status text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    bytes bigint,
    sha256 text,
    stored_location text,
    first_seen_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    lease_until timestamp with time zone,
    lease_owner text,
    stored_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT recordings_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'stored'::text, 'failed'::text, 'expired'::text, 'unavailable'::text])))
);

CREATE TABLE public.ref_fail_reasons (
    code integer NOT NULL,
    description text NOT NULL
);

CREATE TABLE public.ref_q850_causes (
    code integer NOT NULL,
    description text NOT NULL
);

CREATE TABLE public.ref_state_codes (
    code integer NOT NULL,
    description text NOT NULL
);

CREATE TABLE public.rejected_pushes (
    id bigint NOT NULL,
    rejection_key text NOT NULL,
    delivery_id uuid,
    record_index integer,
    stage text NOT NULL,
    reason_code text NOT NULL,
    reason_message text NOT NULL,
    source text NOT NULL,
    content_type text,
    received_at timestamp with time zone NOT NULL,
    body bytea,
    body_truncated boolean DEFAULT false NOT NULL,
    record jsonb,
    stored_at timestamp with time zone DEFAULT now() NOT NULL,
    readmitted_at timestamp with time zone,
    readmitted_as uuid,
    CONSTRAINT rejected_pushes_stage_check CHECK ((stage = ANY (ARRAY['ingest'::text, 'worker'::text])))
)
PARTITION BY RANGE (received_at);

CREATE SEQUENCE public.rejected_pushes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.rejected_pushes_id_seq OWNED BY public.rejected_pushes.id;

CREATE TABLE public.rejected_pushes_default (
    id bigint DEFAULT nextval('public.rejected_pushes_id_seq'::regclass) NOT NULL,
    rejection_key text NOT NULL,
    delivery_id uuid,
    record_index integer,
    stage text NOT NULL,
    reason_code text NOT NULL,
    reason_message text NOT NULL,
    source text NOT NULL,
    content_type text,
    received_at timestamp with time zone NOT NULL,
    body bytea,
    body_truncated boolean DEFAULT false NOT NULL,
    record jsonb,
    stored_at timestamp with time zone DEFAULT now() NOT NULL,
    readmitted_at timestamp with time zone,
    readmitted_as uuid,
    CONSTRAINT rejected_pushes_stage_check CHECK ((stage = ANY (ARRAY['ingest'::text, 'worker'::text])))
);

CREATE TABLE public.replayed_deliveries (
    delivery_id uuid NOT NULL,
    received_at timestamp with time zone NOT NULL
);

CREATE TABLE public.tariffs (
    tariff_id integer NOT NULL,
    app_key text,
    business text,
    leg text NOT NULL,
    price numeric(20,6) NOT NULL,
    currency text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tariffs_business_check CHECK ((business = ANY (ARRAY['click2call'::text, 'notify'::text, 'verify'::text]))),
    CONSTRAINT tariffs_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT tariffs_leg_check CHECK ((leg = ANY (ARRAY['call-out'::text, 'forwarded'::text]))),
    CONSTRAINT tariffs_one_scope CHECK (((app_key IS NULL) <> (business IS NULL))),
    CONSTRAINT tariffs_price_check CHECK ((price >= (0)::numeric))
);

ALTER TABLE public.tariffs ALTER COLUMN tariff_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.tariffs_tariff_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.call_events ATTACH PARTITION public.call_events_default DEFAULT;

ALTER TABLE ONLY public.cdrs ATTACH PARTITION public.cdrs_default DEFAULT;

ALTER TABLE ONLY public.push_deliveries ATTACH PARTITION public.push_deliveries_default DEFAULT;

ALTER TABLE ONLY public.rejected_pushes ATTACH PARTITION public.rejected_pushes_default DEFAULT;

ALTER TABLE ONLY public.rejected_pushes ALTER COLUMN id SET DEFAULT nextval('public.rejected_pushes_id_seq'::regclass);

ALTER TABLE ONLY public.billing_daily
    ADD CONSTRAINT billing_daily_pkey PRIMARY KEY (billing_day, app_key, business, currency);

ALTER TABLE ONLY public.call_events
    ADD CONSTRAINT call_events_pkey PRIMARY KEY (session_id, event_key, call_day);

ALTER TABLE ONLY public.call_events_default
    ADD CONSTRAINT call_events_default_pkey PRIMARY KEY (session_id, event_key, call_day);

ALTER TABLE ONLY public.cdrs
    ADD CONSTRAINT cdrs_pkey PRIMARY KEY (session_id, call_day);

ALTER TABLE ONLY public.cdrs_default
    ADD CONSTRAINT cdrs_default_pkey PRIMARY KEY (session_id, call_day);

ALTER TABLE ONLY public.push_deliveries
    ADD CONSTRAINT push_deliveries_pkey PRIMARY KEY (delivery_id, received_at);

ALTER TABLE ONLY public.push_deliveries_default
    ADD CONSTRAINT push_deliveries_default_pkey PRIMARY KEY (delivery_id, received_at);

ALTER TABLE ONLY public.recordings
    ADD CONSTRAINT recordings_pkey PRIMARY KEY (session_id);

ALTER TABLE ONLY public.ref_fail_reasons
    ADD CONSTRAINT ref_fail_reasons_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.ref_q850_causes
    ADD CONSTRAINT ref_q850_causes_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.ref_state_codes
    ADD CONSTRAINT ref_state_codes_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.rejected_pushes
    ADD CONSTRAINT rejected_pushes_pkey PRIMARY KEY (id, received_at);

ALTER TABLE ONLY public.rejected_pushes_default
    ADD CONSTRAINT rejected_pushes_default_pkey PRIMARY KEY (id, received_at);

ALTER TABLE ONLY public.rejected_pushes
    ADD CONSTRAINT rejected_pushes_rejection_key_key UNIQUE (rejection_key, received_at);

ALTER TABLE ONLY public.rejected_pushes_default
    ADD CONSTRAINT rejected_pushes_default_rejection_key_received_at_key UNIQUE (rejection_key, received_at);

ALTER TABLE ONLY public.replayed_deliveries
    ADD CONSTRAINT replayed_deliveries_pkey PRIMARY KEY (delivery_id);

ALTER TABLE ONLY public.tariffs
    ADD CONSTRAINT tariffs_pkey PRIMARY KEY (tariff_id);

CREATE INDEX billing_contributions_billing_day_idx ON public.billing_contributions USING btree (billing_day);

CREATE UNIQUE INDEX billing_contributions_call_key ON public.billing_contributions USING btree (public.callpipe_call_order(session_id), session_id);

CREATE INDEX call_events_event_at_idx ON ONLY public.call_events USING btree (event_at);

CREATE INDEX call_events_default_event_at_idx ON public.call_events_default USING btree (event_at);

CREATE INDEX calls_business_started_at_idx ON public.calls USING btree (business, started_at);

CREATE INDEX calls_call_day_idx ON public.calls USING btree (call_day);

CREATE UNIQUE INDEX calls_call_key ON public.calls USING btree (public.callpipe_call_order(session_id), session_id);

CREATE INDEX calls_ended_at_idx ON public.calls USING btree (ended_at);

CREATE INDEX calls_ended_without_cdr_idx ON public.calls USING btree (ended_at) WHERE ((state = 'ended'::text) AND (NOT has_cdr));

CREATE INDEX calls_started_at_idx ON public.calls USING btree (started_at);

CREATE INDEX cdrs_app_key_call_end_time_idx ON ONLY public.cdrs USING btree (app_key, call_end_time);

CREATE INDEX cdrs_call_end_time_idx ON ONLY public.cdrs USING btree (call_end_time);

CREATE INDEX cdrs_default_app_key_call_end_time_idx ON public.cdrs_default USING btree (app_key, call_end_time);

CREATE INDEX cdrs_default_call_end_time_idx ON public.cdrs_default USING btree (call_end_time);

CREATE INDEX push_deliveries_received_at_idx ON ONLY public.push_deliveries USING btree (received_at);

CREATE INDEX push_deliveries_default_received_at_idx ON public.push_deliveries_default USING btree (received_at);

CREATE INDEX recordings_due ON public.recordings USING btree (next_attempt_at) WHERE (status = 'pending'::text);

CREATE INDEX recordings_first_seen ON public.recordings USING btree (first_seen_at);

CREATE INDEX rejected_pushes_reason_code_idx ON ONLY public.rejected_pushes USING btree (reason_code);

CREATE INDEX rejected_pushes_default_reason_code_idx ON public.rejected_pushes_default USING btree (reason_code);

CREATE INDEX rejected_pushes_received_at_idx ON ONLY public.rejected_pushes USING btree (received_at);

CREATE INDEX rejected_pushes_default_received_at_idx ON public.rejected_pushes_default USING btree (received_at);

CREATE INDEX replayed_deliveries_received_at_idx ON public.replayed_deliveries USING btree (received_at);

CREATE UNIQUE INDEX tariffs_scope_leg_valid_from ON public.tariffs USING btree (COALESCE(app_key, ''::text), COALESCE(business, ''::text), leg, valid_from);

ALTER INDEX public.call_events_event_at_idx ATTACH PARTITION public.call_events_default_event_at_idx;

ALTER INDEX public.call_events_pkey ATTACH PARTITION public.call_events_default_pkey;

ALTER INDEX public.cdrs_app_key_call_end_time_idx ATTACH PARTITION public.cdrs_default_app_key_call_end_time_idx;

ALTER INDEX public.cdrs_call_end_time_idx ATTACH PARTITION public.cdrs_default_call_end_time_idx;

ALTER INDEX public.cdrs_pkey ATTACH PARTITION public.cdrs_default_pkey;

ALTER INDEX public.push_deliveries_pkey ATTACH PARTITION public.push_deliveries_default_pkey;

ALTER INDEX public.push_deliveries_received_at_idx ATTACH PARTITION public.push_deliveries_default_received_at_idx;

ALTER INDEX public.rejected_pushes_pkey ATTACH PARTITION public.rejected_pushes_default_pkey;

ALTER INDEX public.rejected_pushes_reason_code_idx ATTACH PARTITION public.rejected_pushes_default_reason_code_idx;

ALTER INDEX public.rejected_pushes_received_at_idx ATTACH PARTITION public.rejected_pushes_default_received_at_idx;

ALTER INDEX public.rejected_pushes_rejection_key_key ATTACH PARTITION public.rejected_pushes_default_rejection_key_received_at_key;
