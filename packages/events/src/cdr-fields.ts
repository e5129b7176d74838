import type { FieldKind, FieldSpec } from './field-spec.ts';

export type CdrFieldKind = FieldKind;

export interface CdrFieldSpec extends FieldSpec {
  column: string;
}

/**
 * Every documented FeeInfo field (spec §4.2), its wire type, its length bound and its column in
 * `cdrs`. One table drives normalization and the database mapping, so a field added here is
 * normalized, stored and replayed everywhere at once.
 */
export const cdrFieldSpecs = [
  { name: 'direction', column: 'direction', kind: 'integer', flag: true },
  { name: 'spId', column: 'sp_id', kind: 'string', maxLength: 64 },
  { name: 'appKey', column: 'app_key', kind: 'string', maxLength: 64 },
  { name: 'icid', column: 'icid', kind: 'string', maxLength: 128 },
  { name: 'bindNum', column: 'bind_num', kind: 'string', maxLength: 64 },
  { name: 'callerNum', column: 'caller_num', kind: 'string', maxLength: 64 },
  { name: 'calleeNum', column: 'callee_num', kind: 'string', maxLength: 128 },
  { name: 'fwdDisplayNum', column: 'fwd_display_num', kind: 'string', maxLength: 64 },
  { name: 'fwdDstNum', column: 'fwd_dst_num', kind: 'string', maxLength: 64 },
  { name: 'callInTime', column: 'call_in_time', kind: 'time' },
  { name: 'fwdStartTime', column: 'fwd_start_time', kind: 'time' },
  { name: 'fwdAlertingTime', column: 'fwd_alerting_time', kind: 'time' },
  { name: 'fwdAnswerTime', column: 'fwd_answer_time', kind: 'time' },
  { name: 'callEndTime', column: 'call_end_time', kind: 'time' },
  { name: 'fwdUnaswRsn', column: 'fwd_unasw_rsn', kind: 'integer' },
  { name: 'failTime', column: 'fail_time', kind: 'time' },
  { name: 'ulFailReason', column: 'ul_fail_reason', kind: 'integer' },
  { name: 'sipStatusCode', column: 'sip_status_code', kind: 'integer' },
  { name: 'callOutStartTime', column: 'call_out_start_time', kind: 'time' },
  { name: 'callOutAlertingTime', column: 'call_out_alerting_time', kind: 'time' },
  { name: 'callOutAnswerTime', column: 'call_out_answer_time', kind: 'time' },
  { name: 'callOutUnaswRsn', column: 'call_out_unasw_rsn', kind: 'integer' },
  { name: 'dynIVRStartTime', column: 'dyn_ivr_start_time', kind: 'time' },
  { name: 'dynIVRPath', column: 'dyn_ivr_path', kind: 'string', maxLength: 512 },
  { name: 'recordFlag', column: 'record_flag', kind: 'integer', flag: true },
  { name: 'recordStartTime', column: 'record_start_time', kind: 'time' },
  { name: 'recordObjectName', column: 'record_object_name', kind: 'string', maxLength: 512 },
  { name: 'recordBucketName', column: 'record_bucket_name', kind: 'string', maxLength: 512 },
  { name: 'recordDomain', column: 'record_domain', kind: 'string', maxLength: 512 },
  { name: 'recordFileDownloadUrl', column: 'record_file_download_url', kind: 'string', maxLength: 2048 },
  { name: 'ttsPlayTimes', column: 'tts_play_times', kind: 'integer' },
  { name: 'ttsTransDuration', column: 'tts_trans_duration', kind: 'integer' },
  { name: 'serviceType', column: 'service_type', kind: 'string', maxLength: 32 },
  { name: 'hostName', column: 'host_name', kind: 'string', maxLength: 256 },
  { name: 'userData', column: 'user_data', kind: 'string', maxLength: 1024 },
] as const satisfies readonly CdrFieldSpec[];

export type CdrFieldName = (typeof cdrFieldSpecs)[number]['name'];
type KindOf<N extends CdrFieldName> = Extract<(typeof cdrFieldSpecs)[number], { name: N }>['kind'];
type ValueOf<K extends CdrFieldKind> = K extends 'integer' ? number : string;

/** Normalized FeeInfo: absent or unreadable fields are null; times are canonical ISO strings (UTC). */
export type CdrFields = { [N in CdrFieldName]: ValueOf<KindOf<N>> | null };

export const SESSION_ID_MAX_LENGTH = 256;
