import type { BilledLeg, Business, Tariff } from '@callpipe/events';
import { sql } from 'kysely';
import type { Db } from './database.ts';

// The statements on `tariffs` (`callpipe tariffs`, and the rating of every CDR written).

/** Every tariff, oldest validity first: few rows, read once per batch by the store and once by reprocess. */
export async function loadTariffs(db: Db): Promise<Tariff[]> {
  const rows = await db
    .selectFrom('tariffs')
    .select(['tariff_id', 'app_key', 'business', 'leg', 'price', 'currency', 'valid_from'])
    .orderBy('valid_from')
    .orderBy('tariff_id')
    .execute();
  return rows.map((row) => ({
    id: row.tariff_id,
    appKey: row.app_key,
    business: row.business as Business | null,
    leg: row.leg,
    price: row.price,
    currency: row.currency,
    validFrom: row.valid_from,
  }));
}

export interface TariffToSet {
  appKey: string | null;
  business: Business | null;
  leg: BilledLeg;
  /** Decimal text with at most six places. */
  price: string;
  currency: string;
  validFrom: Date;
}

/**
 * Adds a tariff, or replaces the price and currency of the one with the same scope, leg and start.
 * Returns it and whether it was new. Stored CDRs keep their costs until `reprocess` re-rates them.
 */
export async function setTariff(db: Db, tariff: TariffToSet): Promise<{ tariff: Tariff; created: boolean }> {
  const result = await sql<{ tariff_id: number; price: string; created: boolean }>`
    INSERT INTO tariffs (app_key, business, leg, price, currency, valid_from)
    VALUES (${tariff.appKey}, ${tariff.business}, ${tariff.leg}, ${tariff.price}::numeric, ${tariff.currency}, ${tariff.validFrom.toISOString()}::timestamptz)
    ON CONFLICT ((coalesce(app_key, '')), (coalesce(business, '')), leg, valid_from)
      DO UPDATE SET price = excluded.price, currency = excluded.currency, updated_at = now()
    RETURNING tariff_id, price::text AS price, (xmax = 0) AS created`.execute(db);
  const row = result.rows[0]!;
  return { tariff: { id: row.tariff_id, ...tariff, price: row.price }, created: row.created };
}
