import type { Kysely, Transaction } from 'kysely';
import type { BillingContributionsTable, BillingDailyTable } from './tables/billing-daily.ts';
import type { CallEventsTable } from './tables/call-events.ts';
import type { CallsTable } from './tables/calls.ts';
import type { CdrsTable } from './tables/cdrs.ts';
import type { PushDeliveriesTable } from './tables/push-deliveries.ts';
import type { CodeDescriptionTable } from './tables/reference.ts';
import type { RecordingsTable } from './tables/recordings.ts';
import type { RejectedPushesTable } from './tables/rejected-pushes.ts';
import type { ReplayedDeliveriesTable } from './tables/replayed-deliveries.ts';
import type { TariffsTable } from './tables/tariffs.ts';

export interface Database {
  push_deliveries: PushDeliveriesTable;
  replayed_deliveries: ReplayedDeliveriesTable;
  call_events: CallEventsTable;
  cdrs: CdrsTable;
  calls: CallsTable;
  rejected_pushes: RejectedPushesTable;
  recordings: RecordingsTable;
  ref_state_codes: CodeDescriptionTable;
  ref_fail_reasons: CodeDescriptionTable;
  ref_q850_causes: CodeDescriptionTable;
  tariffs: TariffsTable;
  billing_contributions: BillingContributionsTable;
  billing_daily: BillingDailyTable;
}

/** What the store functions run on: the database, or a transaction the caller holds. */
export type Db = Kysely<Database> | Transaction<Database>;
