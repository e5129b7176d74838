import type { Anomaly } from './anomaly.ts';

export const businesses = ['click2call', 'notify', 'verify'] as const;
/** The three VoiceCall businesses: voice callback (语音回呼), voice notification, voice verification code. */
export type Business = (typeof businesses)[number];

/** How a call's business was learned, strongest first. */
export const businessSources = ['app_key', 'service_type', 'forward_leg', 'dynamic_ivr', 'collect_info', 'two_legs'] as const;
export type BusinessSource = (typeof businessSources)[number];

export const knownStatusEventTypes = ['callout', 'alerting', 'answer', 'collectInfo', 'disconnect'] as const;
export type KnownStatusEventType = (typeof knownStatusEventTypes)[number];

/** Maps an application's APP_Key to its business: every Huawei app has one fixed business type. */
export type BusinessByAppKey = ReadonlyMap<string, Business>;

export interface NormalizeOptions {
  businessByAppKey: BusinessByAppKey;
  /**
   * False when only the verdict matters (the ingest answering 200 or 400): skips hashing the
   * content keys, which the worker computes again anyway. Keys are then empty strings.
   */
  contentKeys?: boolean;
}

/**
 * One status notification, normalized. Times are canonical ISO strings (UTC); a field that could
 * not be read is null and listed in `anomalies`.
 */
export interface StatusEvent {
  sessionId: string;
  eventType: string;
  /** False for event kinds the platform may add later: kept, but they do not move the call's state. */
  known: boolean;
  /** Content identity: redeliveries of this event share it, the two click-to-call legs do not. */
  eventKey: string;
  eventAt: string | null;
  caller: string | null;
  called: string | null;
  stateCode: number | null;
  stateDesc: string | null;
  digitInfo: string | null;
  userData: string | null;
  partyType: number | null;
  /** How this event deviated from the canonical form, field by field; empty for canonical input. */
  anomalies: Anomaly[];
  /** The event as received (text Postgres cannot store replaced), unknown fields included. */
  payload: { eventType: string; statusInfo: Record<string, unknown> };
}

export interface CdrDerived {
  /** Ring time of the leg that completes the call (B for click-to-call), alerting → answer or end. */
  ringSeconds: number | null;
  /** Connected time: end − answer of the completing leg (Huawei's own talk-time rule). */
  talkSeconds: number | null;
  /** First leg (platform → A/user) answered duration. */
  callOutLegSeconds: number | null;
  /** Second leg (platform → B) answered duration, click-to-call only. */
  fwdLegSeconds: number | null;
  /** Estimate of billed minutes: each leg's started minutes, both legs for click-to-call. */
  billableMinutes: number;
  failReasonDesc: string | null;
  fwdUnaswRsnDesc: string | null;
  callOutUnaswRsnDesc: string | null;
}
