/**
 * The first key of callpipe's advisory locks (the two-int4 form), one per purpose, so they never
 * meet each other or another application's. Only ever taken transaction-scoped
 * (`pg_advisory_xact_lock`, `pg_try_advisory_xact_lock`): a session lock would outlive the
 * transaction on a pooled server connection (pgbouncer in transaction mode) and be held for
 * whichever client gets that connection next.
 */
export const ADVISORY_LOCK = {
  // 0x63706901 was the per-id lock of replayed deliveries, replaced by `replayed_deliveries`' key; not reused.
  /** Second key: 0. */
  partitionMaintenance: 0x63706902,
  /** Second key: 0. */
  grafanaRole: 0x63706903,
} as const;
