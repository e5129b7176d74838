import type { ColumnType, Generated } from 'kysely';

export const recordingStatuses = ['pending', 'stored', 'failed', 'expired', 'unavailable'] as const;
export type RecordingStatus = (typeof recordingStatuses)[number];

type Time = ColumnType<Date, string, string>;
type OptionalTime = ColumnType<Date | null, string | null | undefined, string | null>;

/** One row per call with a recording: the copy of it callpipe keeps (migration 0009). */
export interface RecordingsTable {
  session_id: string;
  app_key: string | null;
  /** `recordObjectName` of the CDR: the `fileName` the platform's API is asked for. */
  object_name: string;
  record_domain: string | null;
  bucket_name: string | null;
  /** `recordFileDownloadUrl` of the CDR, when it had one. */
  download_url: string | null;
  talk_seconds: number | null;
  status: ColumnType<RecordingStatus, RecordingStatus | undefined, RecordingStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  /** bigint: pg returns it as text. */
  bytes: ColumnType<string | null, number | null | undefined, number | null>;
  sha256: string | null;
  stored_location: string | null;
  first_seen_at: Time;
  expires_at: Time;
  next_attempt_at: ColumnType<Date, string | undefined, string>;
  lease_until: OptionalTime;
  lease_owner: string | null;
  stored_at: OptionalTime;
  updated_at: ColumnType<Date, string | undefined, string>;
}
