export type FieldKind = 'string' | 'integer' | 'time';

/** A documented field of StatusInfo or FeeInfo and the column type it is normalized for. */
export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Upper bound for strings; a longer value stays in the payload but not in the column. */
  maxLength?: number;
  /** A 0/1 integer flag, which some senders write as true/false. */
  flag?: boolean;
}
