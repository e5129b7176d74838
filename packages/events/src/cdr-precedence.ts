/** What decides between two versions of one call's CDR. */
export interface CdrVersion {
  /** Fields set in the record. */
  fieldCount: number;
  /** Content identity of the record. */
  recordKey: string;
}

/**
 * The order of two versions of one call's CDR: the fuller one (more fields set) comes last, then
 * the larger content key. The same CDR re-pushed is identical; two different versions (a manual
 * re-send from the CDR file, say) must resolve the same way whichever arrived first, in the call
 * facts and in `cdrs` alike (its upsert states this rule in SQL).
 */
export function compareCdrVersions(a: CdrVersion, b: CdrVersion): number {
  if (a.fieldCount !== b.fieldCount) return a.fieldCount - b.fieldCount;
  return a.recordKey < b.recordKey ? -1 : a.recordKey > b.recordKey ? 1 : 0;
}

/** Whether `candidate` replaces `current` as the version of the CDR that is kept. */
export function supersedesCdr(candidate: CdrVersion, current: CdrVersion): boolean {
  return compareCdrVersions(candidate, current) > 0;
}
