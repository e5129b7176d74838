/**
 * @callpipe/events — the pure VoiceCall event model (no I/O). See README.md for the glossary:
 * push, event, CDR, leg, redelivery, call facts, anomaly, rejected.
 */
export * from './types.ts';
export * from './rejection.ts';
export * from './anomaly.ts';
export * from './body.ts';
export * from './billing-time.ts';
export * from './rating.ts';
export * from './time.ts';
export * from './canonical.ts';
export * from './field-spec.ts';
export * from './cdr-fields.ts';
export * from './status-fields.ts';
export * from './business.ts';
export * from './status-event.ts';
export * from './cdr-record.ts';
export * from './push.ts';
export * from './call-facts.ts';
export * from './derive-call.ts';
export * from './call-state.ts';
export * from './cdr-precedence.ts';
export * from './outcome.ts';
export * from './codes/index.ts';
export * from './reconcile.ts';
