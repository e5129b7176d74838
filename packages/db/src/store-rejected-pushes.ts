import type { Kysely, Transaction } from 'kysely';
import type { Database } from './database.ts';
import type { RejectedPush } from './deliveries.ts';

/** Keeps rejected pushes with their raw bytes; a retried job (same delivery id, same receive time) inserts each one once. */
export async function storeRejectedPushes(
  db: Kysely<Database> | Transaction<Database>,
  rejected: readonly RejectedPush[],
): Promise<number> {
  if (rejected.length === 0) return 0;
  const result = await db
    .insertInto('rejected_pushes')
    .values(
      rejected.map((push) => ({
        rejection_key: push.deliveryId,
        delivery_id: push.deliveryId,
        record_index: null,
        stage: push.stage,
        reason_code: push.reasonCode,
        reason_message: push.reasonMessage,
        source: push.source,
        content_type: push.contentType,
        received_at: push.receivedAt,
        body: push.body,
        body_truncated: push.bodyTruncated,
        record: null,
      })),
    )
    .onConflict((oc) => oc.columns(['rejection_key', 'received_at']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}
