export { stateCodeDescriptions, describeStateCode } from './state-codes.ts';
export { failReasonDescriptions, describeFailReason } from './fail-reasons.ts';
export { q850CauseDescriptions, describeQ850Cause } from './q850-causes.ts';
