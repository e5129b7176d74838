import type { ColumnType, Generated } from 'kysely';

type Day = ColumnType<string, string, string>;
/** bigint and numeric columns come back as text. */
type Count = ColumnType<string, number | string, number | string>;

/** The totals of one billing day (CALLPIPE_BILLING_TIME_ZONE), app key, business and currency ('' for none). */
interface BillingTotals {
  billing_day: Day;
  app_key: string;
  business: string;
  /** The CDRs' cost currency; '' for calls without a rated CDR (their cost is NULL). */
  currency: string;
  calls: Count;
  answered: Count;
  unanswered: Count;
  failed: Count;
  talk_seconds: Count;
  call_out_minutes: Count;
  fwd_minutes: Count;
  cost: ColumnType<string | null, string | null, string | null>;
  cdrs: Count;
  /** Ended calls of the day without a CDR. */
  cdrs_missing: Count;
}

export interface BillingDailyTable extends BillingTotals {
  updated_at: Generated<Date>;
}

/** What one call adds to `billing_daily`, as last added (see billing-rollup.ts). */
export interface BillingContributionsTable extends BillingTotals {
  session_id: string;
}
