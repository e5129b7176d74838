import type { BilledLeg } from '@callpipe/events';
import type { ColumnType, Generated } from 'kysely';

/** A price per started minute for one leg of an app key's (or else a business's) calls, from `valid_from` on. */
export interface TariffsTable {
  tariff_id: Generated<number>;
  app_key: string | null;
  business: string | null;
  leg: BilledLeg;
  /** numeric(20,6), as text. */
  price: string;
  currency: string;
  valid_from: ColumnType<Date, string, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
