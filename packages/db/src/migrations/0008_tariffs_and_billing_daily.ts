import { sql, type Kysely } from 'kysely';

// Rating and rollups (README, "Rating and rollups").
// - tariffs: a price per started minute for one leg of an app key's or a business's calls, from an
//   instant on. Money is numeric(20,6), never a float.
// - cdrs: the billed minutes of each leg and what they cost by the tariff valid at the call's time
//   (NULL without one); written with every CDR, re-rated by `reprocess`.
// - billing_contributions: what each call adds to billing_daily, as last added; a writer holding
//   the call's row lock replaces it and applies the difference, so billing_daily stays the exact
//   aggregate whatever the order of deliveries and writers. Deleted with its call by the
//   retention (no foreign key: its check would cost every batch a probe per call).
// - billing_daily: per billing day (CALLPIPE_BILLING_TIME_ZONE), app key, business and currency;
//   days whose calls retention deleted are kept (the books outlive the raw data).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE tariffs (
      tariff_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      app_key text,
      business text CHECK (business IN ('click2call', 'notify', 'verify')),
      leg text NOT NULL CHECK (leg IN ('call-out', 'forwarded')),
      price numeric(20, 6) NOT NULL CHECK (price >= 0),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      valid_from timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT tariffs_one_scope CHECK ((app_key IS NULL) <> (business IS NULL))
    )`.execute(db);
  await sql`CREATE UNIQUE INDEX tariffs_scope_leg_valid_from ON tariffs ((coalesce(app_key, '')), (coalesce(business, '')), leg, valid_from)`.execute(
    db,
  );
  await sql`
    ALTER TABLE cdrs
      ADD COLUMN call_out_minutes integer,
      ADD COLUMN fwd_minutes integer,
      ADD COLUMN call_out_cost numeric(20, 6),
      ADD COLUMN fwd_cost numeric(20, 6),
      ADD COLUMN total_cost numeric(20, 6),
      ADD COLUMN cost_currency text,
      ADD COLUMN call_out_tariff_id integer,
      ADD COLUMN fwd_tariff_id integer`.execute(db);
  await sql`
    CREATE TABLE billing_contributions (
      session_id text PRIMARY KEY,
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
      cost numeric(20, 6),
      cdrs integer NOT NULL,
      cdrs_missing integer NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX billing_contributions_billing_day_idx ON billing_contributions (billing_day)`.execute(db);
  await sql`
    CREATE TABLE billing_daily (
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
      cost numeric(20, 6),
      cdrs bigint NOT NULL,
      cdrs_missing bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (billing_day, app_key, business, currency)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE billing_daily`.execute(db);
  await sql`DROP TABLE billing_contributions`.execute(db);
  await sql`
    ALTER TABLE cdrs
      DROP COLUMN call_out_minutes, DROP COLUMN fwd_minutes, DROP COLUMN call_out_cost, DROP COLUMN fwd_cost,
      DROP COLUMN total_cost, DROP COLUMN cost_currency, DROP COLUMN call_out_tariff_id, DROP COLUMN fwd_tariff_id`.execute(db);
  await sql`DROP TABLE tariffs`.execute(db);
}
