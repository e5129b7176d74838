import type { FieldSpec } from './field-spec.ts';

/**
 * The documented StatusInfo fields (spec §3.3) besides `sessionId`, which is identity and checked
 * strictly on its own. Bounds are generous: a value beyond one is kept in the payload, not a column.
 */
export const statusFieldSpecs = [
  { name: 'timestamp', kind: 'time' },
  { name: 'caller', kind: 'string', maxLength: 64 },
  { name: 'called', kind: 'string', maxLength: 64 },
  { name: 'stateCode', kind: 'integer' },
  { name: 'stateDesc', kind: 'string', maxLength: 512 },
  { name: 'digitInfo', kind: 'string', maxLength: 256 },
  { name: 'userData', kind: 'string', maxLength: 1024 },
  { name: 'partyType', kind: 'integer' },
] as const satisfies readonly FieldSpec[];

export type StatusFieldName = (typeof statusFieldSpecs)[number]['name'];
