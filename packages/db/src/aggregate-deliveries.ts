import {
  factsFromCdr,
  factsFromStatusEvent,
  mergeCallFacts,
  supersedesCdr,
  type CallFacts,
  type CdrRecord,
  type RejectedRecord,
  type StatusEvent,
} from '@callpipe/events';
import { utcDay } from './days.ts';
import type { AcceptedDelivery } from './deliveries.ts';

// The pure half of storing a batch: what the batch's fresh deliveries add up to, per row, before
// any statement runs. No I/O.

/** One row's worth of deliveries: the item kept and how often, and when, it was received. */
export interface Aggregated<T> {
  item: T;
  count: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
}

/** A record rejected inside an accepted CDR push, with the delivery that carried it. */
export interface RejectedInDelivery {
  delivery: AcceptedDelivery;
  rejected: RejectedRecord;
}

export interface DeliveryAggregate {
  /** Per distinct status event (session, event key). */
  events: Aggregated<StatusEvent>[];
  /** Per call's CDR: of several versions the one `cdrs` keeps. */
  cdrs: Aggregated<CdrRecord>[];
  /** Per session, the merged facts of everything in the batch. */
  facts: Map<string, CallFacts>;
  /** Per session, the UTC day of its earliest delivery in this batch: `call_day` of a new call. */
  firstDays: Map<string, string>;
  rejected: RejectedInDelivery[];
}

/** The batch with each delivery id once (a job submitted twice in one batch counts once). */
export function distinctDeliveries(deliveries: readonly AcceptedDelivery[]): AcceptedDelivery[] {
  return [...new Map(deliveries.map((delivery) => [delivery.deliveryId, delivery])).values()];
}

export function aggregateDeliveries(fresh: readonly AcceptedDelivery[]): DeliveryAggregate {
  const events = new Map<string, Aggregated<StatusEvent>>();
  const cdrs = new Map<string, Aggregated<CdrRecord>>();
  const facts = new Map<string, CallFacts>();
  const firstDays = new Map<string, string>();
  const rejected: RejectedInDelivery[] = [];
  const addFacts = (next: CallFacts, receivedAt: string) => {
    const existing = facts.get(next.sessionId);
    facts.set(next.sessionId, existing ? mergeCallFacts(existing, next) : next);
    const day = utcDay(receivedAt);
    const earliest = firstDays.get(next.sessionId);
    if (earliest === undefined || day < earliest) firstDays.set(next.sessionId, day);
  };

  for (const delivery of fresh) {
    if (delivery.push.kind === 'status') {
      const event = delivery.push.event;
      aggregate(events, `${event.sessionId}\u0000${event.eventKey}`, event, delivery.receivedAt, () => false);
      addFacts(factsFromStatusEvent(event), delivery.receivedAt);
    } else {
      for (const record of delivery.push.records) {
        aggregate(cdrs, record.sessionId, record, delivery.receivedAt, (current, candidate) => supersedesCdr(candidate, current));
        addFacts(factsFromCdr(record), delivery.receivedAt);
      }
      for (const record of delivery.push.rejectedRecords) rejected.push({ delivery, rejected: record });
    }
  }
  return { events: [...events.values()], cdrs: [...cdrs.values()], facts, firstDays, rejected };
}

function aggregate<T>(
  into: Map<string, Aggregated<T>>,
  key: string,
  item: T,
  receivedAt: string,
  replaces: (current: T, candidate: T) => boolean,
): void {
  const existing = into.get(key);
  if (!existing) {
    into.set(key, { item, count: 1, firstReceivedAt: receivedAt, lastReceivedAt: receivedAt });
    return;
  }
  existing.count += 1;
  if (receivedAt < existing.firstReceivedAt) existing.firstReceivedAt = receivedAt;
  if (receivedAt > existing.lastReceivedAt) existing.lastReceivedAt = receivedAt;
  if (replaces(existing.item, item)) existing.item = item;
}
