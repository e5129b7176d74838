import type { Anomaly, CdrRecord, PushVerdict, RejectedRecord, StatusEvent } from '@callpipe/events';

/** A push that passed validation, ready to be stored. One HTTP request is one delivery. */
export interface AcceptedDelivery {
  /** Assigned by the ingest per HTTP request; the exactly-once key of everything it carries. */
  deliveryId: string;
  /** Where it came from: the ingest route, or `replay:<file>`. */
  source: string;
  receivedAt: string;
  /**
   * The id comes back later with another `receivedAt` (a replayed file: ids derive from the file,
   * the receive time is the replay's). The ledger is partitioned by receive time, so such ids are
   * claimed in `replayed_deliveries` (keyed by the id alone) instead of relying on the
   * (delivery_id, received_at) key.
   */
  receivedAtVaries?: boolean;
  push: { kind: 'status'; event: StatusEvent } | { kind: 'fee'; records: CdrRecord[]; rejectedRecords: RejectedRecord[] };
  /** The push's own anomalies (its events and records carry theirs); absent means none. */
  anomalies?: Anomaly[];
  /** The exact bytes when the stored text is not them (a body that was not UTF-8). */
  originalBodyBase64?: string | null;
}

/** A push rejected as a whole, kept with its raw bytes. */
export interface RejectedPush {
  deliveryId: string;
  stage: 'ingest' | 'worker';
  source: string;
  receivedAt: string;
  contentType: string | null;
  reasonCode: string;
  reasonMessage: string;
  body: Buffer;
  bodyTruncated: boolean;
}

export interface StoreResult {
  /** Deliveries stored now; the others had been stored before (a retried or re-run job). */
  freshDeliveries: number;
  alreadyStoredDeliveries: number;
  eventsInserted: number;
  eventsRedelivered: number;
  cdrsInserted: number;
  cdrsRedelivered: number;
  callsCreated: number;
  callsUpdated: number;
  rejectedRecords: number;
  /** Calls whose stored state had already progressed past what this batch's facts alone give (once per call). */
  lateCalls: number;
}

/** Wraps a successful parse verdict with its delivery metadata. */
export function acceptedDelivery(
  meta: { deliveryId: string; source: string; receivedAt: string; receivedAtVaries?: boolean },
  verdict: Extract<PushVerdict, { ok: true }>,
): AcceptedDelivery {
  return {
    ...meta,
    anomalies: verdict.anomalies,
    originalBodyBase64: verdict.originalBodyBase64,
    push:
      verdict.kind === 'status'
        ? { kind: 'status', event: verdict.event }
        : { kind: 'fee', records: verdict.records, rejectedRecords: verdict.rejectedRecords },
  };
}
